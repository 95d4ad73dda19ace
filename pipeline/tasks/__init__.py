"""Binary tasks: where their examples come from and their deterministic A / B / test splits."""

from pipeline import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "TaskDataError": "labels",
        "HUB_TASKS": "registry",
        "load_task": "task_table",
        "write_task_table": "task_table",
    },
)
