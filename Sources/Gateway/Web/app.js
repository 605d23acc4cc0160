// The web client.
