"""A file that kills its interpreter while it loads."""
import os

os.abort()
