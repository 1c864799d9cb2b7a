"""Pacing: one pacer per resource decides who gets each request, when each job is polled, and
how many jobs are in flight. Pure logic fed by events with the time passed in (`Pacer`); the
client runs it in a thin loop (`runtime`), the simulation in virtual time."""

from .pacer import Pacer
from .settings import PacingSettings
from .turns import PolledJob, Turn

__all__ = ["Pacer", "PacingSettings", "PolledJob", "Turn"]
