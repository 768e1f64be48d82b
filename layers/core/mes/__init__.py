"""mes — an open, serverless implementation of Mon espace santé."""
