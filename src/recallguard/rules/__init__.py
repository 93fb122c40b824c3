"""The category-ban rule files shipped with recallguard (YAML, package data); see docs/category-bans.md."""
