"""Loopback fakes of outside services, speaking their documented protocols over real HTTP."""
