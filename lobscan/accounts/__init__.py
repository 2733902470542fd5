"""Schools, users, memberships, teams, cycles and staff invitations."""
