"""Persona API: the configuration backbone of a voice-and-chat AI agent platform."""
