"""Canonical code lists: the allowed values of coded columns in the canonical tables.

Each list maps a canonical code to a short description. Partner extracts use their own codes;
a dataset contract maps them onto these. Where a list follows a national standard the
docstring of the constant says which (NHS Data Dictionary, Home Office counting rules, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ADMISSION_METHODS",
    "BENEFITS",
    "CODE_LISTS",
    "CONDITIONS",
    "DIAGNOSIS_GROUPS",
    "DISCHARGE_DESTINATIONS",
    "FIRE_PROPERTY_TYPES",
    "FIRE_TYPES",
    "HOUSING_EVENTS",
    "JUSTICE_OUTCOMES",
    "NEET_STATUSES",
    "OFFENCE_GROUPS",
    "OFFENCE_GROUP_INDICATORS",
    "OPERATION_MEASURES",
    "OUTCOMES_91_DAYS",
    "PLACES_OF_DEATH",
    "PROGRAMMES",
    "PUPIL_RECORD_TYPES",
    "RESIDENCE_SOURCES",
    "SERVICES",
    "SEXES",
    "SOCIAL_CARE_CLIENT_TYPES",
    "SOCIAL_CARE_EPISODE_TYPES",
    "SOCIAL_CARE_SERVICES",
    "SUPPORT_REASONS",
    "diagnosis_group",
]


def _codes(items: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(items)


SEXES = _codes({"M": "male", "F": "female", "U": "not known / not stated"})

RESIDENCE_SOURCES = _codes(
    {
        "gp_registration": "registered with a GP practice at this address",
        "council_tax": "liable for council tax at this address",
        "tenancy": "social-housing tenancy at this address",
        "school_census": "pupil's home address in the school census",
    }
)

ADMISSION_METHODS = _codes(
    {
        "elective": "planned admission (NHS Data Dictionary 11-13)",
        "emergency": "emergency admission (NHS Data Dictionary 21-28)",
        "maternity": "maternity admission (31-32)",
        "transfer": "transfer from another provider (81-83)",
    }
)

DIAGNOSIS_GROUPS = _codes(
    {
        "fall": "injury from a fall (external cause W00-W19)",
        "hip_fracture": "fracture of neck of femur (S72.0-S72.2)",
        "dementia": "dementia (F00-F03, G30)",
        "alcohol_specific": "wholly attributable to alcohol (F10, K70, X45, ...)",
        "alcohol_related": "partly attributable to alcohol (selected conditions)",
        "circulatory": "diseases of the circulatory system (I00-I99)",
        "cancer": "malignant neoplasms (C00-C97)",
        "respiratory": "diseases of the respiratory system (J00-J99)",
        "self_harm": "intentional self-harm (X60-X84)",
        "maternity": "pregnancy and childbirth (O00-O99)",
        "other": "any other primary diagnosis",
    }
)

# ICD-10 prefixes, longest match wins. Alcohol-related uses a simplified set of partly
# attributable conditions (hypertension, cardiac arrhythmia, falls are handled by their own groups).
_ICD10_GROUPS: tuple[tuple[str, str], ...] = (
    ("S720", "hip_fracture"),
    ("S721", "hip_fracture"),
    ("S722", "hip_fracture"),
    ("W0", "fall"),
    ("W10", "fall"),
    ("W11", "fall"),
    ("W12", "fall"),
    ("W13", "fall"),
    ("W14", "fall"),
    ("W15", "fall"),
    ("W16", "fall"),
    ("W17", "fall"),
    ("W18", "fall"),
    ("W19", "fall"),
    ("F00", "dementia"),
    ("F01", "dementia"),
    ("F02", "dementia"),
    ("F03", "dementia"),
    ("G30", "dementia"),
    ("F10", "alcohol_specific"),
    ("K70", "alcohol_specific"),
    ("X45", "alcohol_specific"),
    ("G312", "alcohol_specific"),
    ("K860", "alcohol_specific"),
    ("I10", "alcohol_related"),
    ("I48", "alcohol_related"),
    ("K74", "alcohol_related"),
    ("K85", "alcohol_related"),
    ("C", "cancer"),
    ("I", "circulatory"),
    ("J", "respiratory"),
    ("X6", "self_harm"),
    ("X7", "self_harm"),
    ("X80", "self_harm"),
    ("X81", "self_harm"),
    ("X82", "self_harm"),
    ("X83", "self_harm"),
    ("X84", "self_harm"),
    ("O", "maternity"),
)


def diagnosis_group(icd10: str | None) -> str | None:
    """The diagnosis group of an ICD-10 code (dots and spaces ignored); None for no code."""
    if icd10 is None:
        return None
    code = icd10.replace(".", "").replace(" ", "").upper()
    if not code:
        return None
    best = ""
    group = "other"
    for prefix, name in _ICD10_GROUPS:
        if code.startswith(prefix) and len(prefix) > len(best):
            best, group = prefix, name
    return group


DISCHARGE_DESTINATIONS = _codes(
    {
        "usual_residence": "usual place of residence (NHS DD 19)",
        "temporary_residence": "temporary place of residence (NHS DD 29)",
        "care_home": "care home, residential or nursing (NHS DD 54, 65, 85, 88)",
        "other_hospital": "another hospital provider (NHS DD 49-53)",
        "died": "patient died (NHS DD 79)",
        "not_known": "not known (NHS DD 98/99)",
    }
)

SOCIAL_CARE_CLIENT_TYPES = _codes(
    {"service_user": "person receiving care and support", "carer": "unpaid carer"}
)

SOCIAL_CARE_EPISODE_TYPES = _codes(
    {
        "contact": "request for support (first contact)",
        "assessment": "needs assessment",
        "review": "review of a care plan",
        "service": "a service delivered",
    }
)

SOCIAL_CARE_SERVICES = _codes(
    {
        "reablement": "short-term reablement (up to 6 weeks)",
        "home_care": "long-term home care",
        "direct_payment": "direct payment (self-directed support)",
        "day_care": "day care",
        "equipment": "equipment and adaptations",
        "supported_living": "supported living",
        "residential_care": "permanent residential care home placement",
        "nursing_care": "permanent nursing care home placement",
        "carer_service": "a specific service for an unpaid carer",
        "information_advice": "information and advice only",
    }
)

SUPPORT_REASONS = _codes(
    {
        "physical_support": "physical support (personal care, access and mobility)",
        "memory_cognition": "support with memory and cognition",
        "learning_disability": "learning disability support",
        "mental_health": "mental health support",
        "sensory_support": "sensory support",
        "social_support": "social support (isolation, substance misuse, asylum)",
    }
)

OUTCOMES_91_DAYS = _codes(
    {
        "at_home": "still at home 91 days after hospital discharge",
        "care_home": "in a care home at 91 days",
        "hospital": "in hospital at 91 days",
        "died": "died within 91 days",
        "not_known": "outcome not known",
    }
)

PLACES_OF_DEATH = _codes(
    {
        "home": "own home (usual place of residence)",
        "care_home": "care home",
        "hospital": "hospital",
        "hospice": "hospice",
        "other": "elsewhere",
    }
)

OFFENCE_GROUPS = _codes(
    {
        "homicide": "homicide",
        "attempted_murder": "attempted murder",
        "wounding_gbh_s18": "wounding or GBH with intent (s18)",
        "assault_with_injury": "assault with injury (ABH s47, wounding s20)",
        "assault_without_injury": "common assault without injury",
        "robbery_personal": "robbery of personal property",
        "robbery_business": "robbery of business property",
        "burglary_dwelling": "burglary in a dwelling",
        "burglary_non_dwelling": "burglary in a building other than a dwelling",
        "theft_of_vehicle": "theft or unauthorised taking of a motor vehicle",
        "theft_from_vehicle": "theft from a vehicle",
        "criminal_damage": "criminal damage",
        "arson_criminal_damage": "arson (criminal damage by fire)",
        "theft_other": "other theft and handling",
        "sexual_offence": "sexual offences",
        "public_order": "public order offences",
        "drugs": "drug offences",
        "other": "other offences",
    }
)

# Which offence groups make up the crime-rate National Indicators (2008 definitions).
OFFENCE_GROUP_INDICATORS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "NI 15": ("homicide", "attempted_murder", "wounding_gbh_s18"),
        "NI 16": (
            "burglary_dwelling",
            "theft_of_vehicle",
            "theft_from_vehicle",
            "robbery_personal",
            "robbery_business",
        ),
        "NI 20": ("assault_with_injury",),
    }
)

JUSTICE_OUTCOMES = _codes(
    {
        "reprimand": "reprimand",
        "final_warning": "final warning",
        "youth_caution": "youth caution",
        "youth_conditional_caution": "youth conditional caution",
        "conviction": "conviction at court",
    }
)

FIRE_TYPES = _codes(
    {"primary": "primary fire (property, casualties or 5+ appliances)", "secondary": "secondary"}
)

FIRE_PROPERTY_TYPES = _codes(
    {
        "dwelling": "dwelling",
        "other_building": "other building",
        "vehicle": "road vehicle",
        "outdoor": "outdoor, grassland or refuse",
    }
)

HOUSING_EVENTS = _codes(
    {
        "homelessness_application": "homelessness application made",
        "homelessness_acceptance": "accepted as owed the main homelessness duty",
        "temporary_accommodation_start": "household placed in temporary accommodation",
        "temporary_accommodation_end": "household left temporary accommodation",
        "eviction_notice": "notice of seeking possession / eviction notice served",
        "tenancy_start": "social-housing tenancy started",
        "tenancy_end": "social-housing tenancy ended",
        "supporting_people_start": "housing-related support started",
        "supporting_people_planned_exit": "left housing-related support in a planned way",
        "supporting_people_unplanned_exit": "left housing-related support unplanned",
    }
)

BENEFITS = _codes(
    {
        "pension_credit": "Pension Credit",
        "universal_credit": "Universal Credit",
        "housing_benefit": "Housing Benefit",
        "council_tax_reduction": "Council Tax Reduction",
        "attendance_allowance": "Attendance Allowance",
        "jobseekers_allowance": "Jobseeker's Allowance",
        "employment_support_allowance": "Employment and Support Allowance",
        "income_support": "Income Support",
        "personal_independence_payment": "Personal Independence Payment",
        "carers_allowance": "Carer's Allowance",
    }
)

PUPIL_RECORD_TYPES = _codes(
    {
        "census": "school census (January)",
        "ncmp": "National Child Measurement Programme measurement",
        "neet": "16-18 activity survey snapshot (CCIS)",
    }
)

NEET_STATUSES = _codes(
    {
        "eet": "in education, employment or training",
        "neet": "not in education, employment or training",
        "not_known": "current activity not known",
    }
)

SERVICES = _codes(
    {
        "home_fire_safety_visit": "home fire safety visit (fire and rescue)",
        "befriending": "befriending (voluntary sector)",
        "carers_support": "carers' support group or advice",
        "benefits_advice": "welfare benefits advice",
        "falls_prevention": "falls prevention class",
        "outreach_letter": "pension credit outreach contact",
    }
)

CONDITIONS = _codes(
    {
        "dementia": "dementia (on the GP dementia register)",
        "learning_disability": "learning disability register",
        "serious_mental_illness": "serious mental illness register",
        "diabetes": "diabetes register",
        "copd": "chronic obstructive pulmonary disease register",
    }
)

# Area-level tables (``operation`` and ``resource``): what partners submit as aggregates.
OPERATION_MEASURES = _codes(
    {
        "reablement_hours": "hours of reablement delivered (adult social care)",
        "patrol_hours": "hours of neighbourhood patrol (police)",
        "home_safety_visits": "home fire safety visits made (fire and rescue)",
    }
)

PROGRAMMES = _codes(
    {
        "reablement": "reablement (adult social care)",
        "home_care": "home care (adult social care)",
        "carers_support": "carers' support (adult social care)",
        "neighbourhood_policing": "neighbourhood policing (police)",
        "response_policing": "response policing (police)",
        "community_fire_safety": "community fire safety (fire and rescue)",
        "homelessness_prevention": "homelessness prevention (housing)",
        "benefits_advice": "welfare benefits advice (council)",
        "befriending": "befriending (voluntary sector)",
        "community_health": "community health services (NHS)",
        "youth_services": "youth services (education)",
    }
)

CODE_LISTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "sex": SEXES,
        "residence_source": RESIDENCE_SOURCES,
        "admission_method": ADMISSION_METHODS,
        "diagnosis_group": DIAGNOSIS_GROUPS,
        "discharge_destination": DISCHARGE_DESTINATIONS,
        "social_care_client_type": SOCIAL_CARE_CLIENT_TYPES,
        "social_care_episode_type": SOCIAL_CARE_EPISODE_TYPES,
        "social_care_service": SOCIAL_CARE_SERVICES,
        "support_reason": SUPPORT_REASONS,
        "outcome_91_days": OUTCOMES_91_DAYS,
        "place_of_death": PLACES_OF_DEATH,
        "offence_group": OFFENCE_GROUPS,
        "justice_outcome": JUSTICE_OUTCOMES,
        "fire_type": FIRE_TYPES,
        "fire_property_type": FIRE_PROPERTY_TYPES,
        "housing_event": HOUSING_EVENTS,
        "benefit": BENEFITS,
        "pupil_record_type": PUPIL_RECORD_TYPES,
        "neet_status": NEET_STATUSES,
        "service": SERVICES,
        "condition": CONDITIONS,
        "operation_measure": OPERATION_MEASURES,
        "programme": PROGRAMMES,
    }
)
