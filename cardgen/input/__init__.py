"""Input: the campaign YAML and variants CSV read, cleaned and validated into frozen models."""
