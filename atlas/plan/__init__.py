"""The 315 plan itself: its targets, progress against them, and citations of its text.

- :mod:`~atlas.plan.indicators`: the plan's 2027 targets against what the atlas can measure;
- :mod:`~atlas.plan.progress`: values observed year by year and the trajectory to 2027;
- :mod:`~atlas.plan.citations`: the plan's tasks and sources as cited on pages and exports.
"""
