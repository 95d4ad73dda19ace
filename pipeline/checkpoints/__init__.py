"""Acquiring checkpoints: revision schedules and names, hub metadata, downloads, integrity."""

from pipeline import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "Revision": "revisions",
        "HubSource": "sources",
        "LocalDirectorySource": "sources",
        "checkpoint_source": "schedule",
        "model_revisions": "schedule",
        "write_integrity_table": "integrity",
    },
)
