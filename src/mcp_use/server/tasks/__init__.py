"""Long-running tool calls as tasks, on both protocol eras (see `handlers`)."""

from .handlers import TASKS_EXTENSION, TaskHandlers
from .records import TaskRecord
from .runner import LiveTask, TaskRunner, TaskSettings

__all__ = ["TASKS_EXTENSION", "LiveTask", "TaskHandlers", "TaskRecord", "TaskRunner", "TaskSettings"]
