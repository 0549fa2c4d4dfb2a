"""Every table, imported in one place for Alembic and for mapper configuration."""
from engine.audit.models import AuditEvent  # noqa: F401
from engine.cases.models import Case, NumberSequence  # noqa: F401
from engine.db import Base  # noqa: F401
from engine.inbox.models import Task  # noqa: F401
from engine.jobs.models import Job  # noqa: F401
from engine.org.models import ApiToken, Unit, User, UserRole  # noqa: F401
from engine.processes.models import (BpmnSource, ProcessDefinition, ProcessInstance,  # noqa: F401
                                     TestRun)
from engine.timers.models import Timer, WorkerHeartbeat  # noqa: F401
from engine.calendar.models import CalendarDay, CalendarYear  # noqa: F401
from engine.deadlines.models import ConfigState, Deadline  # noqa: F401
from engine.notifications.models import Notification  # noqa: F401
from engine.petitions.models import AccusedPerson, Petition  # noqa: F401
from engine.attachments.models import Attachment  # noqa: F401
from engine.clarifications.models import AccusationReferral, Clarification  # noqa: F401
from engine.clues.models import Clue  # noqa: F401
from engine.recusal.models import Relation  # noqa: F401
from engine.reports.models import ReportCount, ReportRollup  # noqa: F401
from engine.reviews.models import JointReview, JointReviewOpinion  # noqa: F401
from engine.visits.models import ReturnVisit  # noqa: F401
from engine.zones.models import ZoneEscalation  # noqa: F401
from engine.reports import rollup  # noqa: F401,E402  (its flush listeners track what changes)
from engine.supervision.models import (Evidence, Finding, Inspection,  # noqa: F401
                                      InterferenceEntry, RectificationEntry)
from engine.documents.models import (Document, DocumentTemplate, Dossier,  # noqa: F401
                                     SupervisionDocument)
from engine.quality.models import ReviewItem, ReviewRound  # noqa: F401,E402
from engine.evaluation.models import ManualScore  # noqa: F401,E402
from engine.worknotes.models import TaskComment, TaskFollowUp  # noqa: F401,E402
from engine.village.models import (DisclosureItem, VillageMatter, VillageMeeting,  # noqa: F401,E402
                                   VillageOverride, VillageStep)
from engine.search.models import SearchEntry  # noqa: F401,E402
