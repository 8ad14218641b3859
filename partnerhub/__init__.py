"""PartnerHub: safe data sharing for local public-service partnerships."""

from partnerhub.errors import PartnerHubError, UserError

__version__ = "0.1.0"

__all__ = ["PartnerHubError", "UserError", "__version__"]
