"""Modal screens: small dialogs over the main screen."""
