"""Contact with people, as they and the force see it: the volunteer's contact log, the DPO's
message counts and failures, the coordinator's "people to call" list and the daily digest."""
