"""StyleRec's REST API (Django REST framework), mounted by ``stylerec_plugin.urls`` under ``api/``."""
