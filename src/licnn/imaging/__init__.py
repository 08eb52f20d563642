"""Images, masks and blur."""
