"""Other police forces and partners: the recipient organisations beside employers.

Their users read, through the one disclosure gate, the volunteers and applicants linked to their
organisation (a transfer, an application to more than one force, an application the partner
processes) for the purposes of their kind, under the agreement their organisation signed.
"""
