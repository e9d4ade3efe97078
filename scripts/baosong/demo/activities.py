"""What the units do through the demo's year: the list the timeline runs.

Order matters twice: planted cases run in this order, and the shares cut one random draw in [0, 1)
into consecutive ranges in this order. Adding an activity (or changing a share) changes every demo
made with the same seed; the shares should sum to 1 (the last activity takes any rest).
"""

from __future__ import annotations

from baosong.demo import duties, emergencies, items
from baosong.demo.timeline import Activity

ACTIVITIES: tuple[Activity, ...] = (
    Activity("emergency", 0.22, emergencies.draw, emergencies.planted),
    Activity("info", 0.63, items.draw_info, items.planted_info),
    Activity("opinion", 0.15, items.draw_opinion, items.planted_opinion),
    # 约稿 and 重要时段: planted only, last, in the room the other planted cases leave.
    Activity("duties", 0.0, None, duties.planted),
)

# Single reports that start no series, to reach the requested count exactly.
TOP_UP = items.single_info
