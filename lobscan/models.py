"""Imports every model, so Alembic (and the test suite) see the whole schema."""

from lobscan.accounts.models import (  # noqa: F401
    Cycle,
    Membership,
    School,
    StaffInvitation,
    Team,
    TeamMember,
    User,
)
from lobscan.core.models import Event  # noqa: F401
from lobscan.questionnaires.models import Questionnaire, Section, Statement  # noqa: F401
from lobscan.scans.models import Answer, Invitation, Respondent, Scan  # noqa: F401
