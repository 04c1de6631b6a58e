"""Long-running tool calls as tasks, on both protocol eras (see `handlers`)."""

from ..settings import TaskSettings
from .handlers import TASKS_EXTENSION, TaskHandlers
from .records import TaskRecord
from .runner import LiveTask, TaskRunner

__all__ = ["TASKS_EXTENSION", "LiveTask", "TaskHandlers", "TaskRecord", "TaskRunner", "TaskSettings"]
