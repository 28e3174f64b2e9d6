"""LiveInterview: self-hosted live video job interviews."""
