"""Optional integrations with shop frameworks; each is an app of its own (``stylerec_plugin.contrib.oscar``)."""
