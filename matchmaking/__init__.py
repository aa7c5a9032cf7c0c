"""The cooperation matchmaking service of the CBD Clearing-House Mechanism."""
