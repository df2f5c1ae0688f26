"""The native HTTP front."""
