"""The output kinds of the gate: each a frozen request to
:meth:`partnerhub.governance.Gate.release` that owns its disclosure rule and its field
minimisation. The fields a request may read come from its declarative query; its builder sees
a vault scoped to them (:class:`partnerhub.vault.ScopedVault`).

- aggregate table (:class:`CountTable`, :class:`ComputedTable`, :class:`PublishedTable`):
  threshold, secondary suppression, cell-key perturbation, rounding;
- model summary (:class:`ModelSummary`): residual degrees of freedom, people per term;
- chart (:class:`Chart`): drawn from a protected aggregate only;
- person notification (:class:`PersonNotification`): one record, the event's fields only;
- outreach list (:class:`OutreachList`): the recipient's own records, named fields only;
- public figure (:class:`PublicFigure`): strictest threshold and rounding, minimum population.
"""

from partnerhub.governance.outputs.aggregate import (
    AggregateTable,
    ComputedTable,
    PublishedTable,
    protect_aggregate,
)
from partnerhub.governance.outputs.base import (
    BuildContext,
    DatasetFields,
    FieldQuery,
    Output,
    OutputRequest,
    Provenance,
)
from partnerhub.governance.outputs.chart import CHART_MEDIA_TYPES, Chart, chart_bytes
from partnerhub.governance.outputs.counts import AREA_LEVELS, CountQuery, CountTable
from partnerhub.governance.outputs.model import ModelFit, ModelSummary
from partnerhub.governance.outputs.person import OutreachList, PersonNotification
from partnerhub.governance.outputs.public import FigureCount, PublicFigure

__all__ = [
    "AREA_LEVELS",
    "CHART_MEDIA_TYPES",
    "AggregateTable",
    "BuildContext",
    "Chart",
    "ComputedTable",
    "CountQuery",
    "CountTable",
    "DatasetFields",
    "FieldQuery",
    "FigureCount",
    "ModelFit",
    "ModelSummary",
    "Output",
    "OutputRequest",
    "OutreachList",
    "PersonNotification",
    "Provenance",
    "PublicFigure",
    "PublishedTable",
    "chart_bytes",
    "protect_aggregate",
]
