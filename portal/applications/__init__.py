"""An applicant's way into the Special Constabulary, as dated milestones with an outcome.

The ``application`` category used to be a code derived from the volunteer's status. Milestones
make it real: the coordinator records each step (received, eligibility, assessment, vetting,
medical, training booked and completed, attested, independent patrol) with its date and outcome.
No finding of vetting or medical assessment is ever held: only that the step is in progress,
passed or not passed. An employer sees even less of those two (in progress or complete).
"""
