"""The evaluation season: calendars (``calendar``), notifications written with each event
(``notify``), the inbox and preferences (``inbox``), the e-mail sender (``mail``) and the
scheduled work run once per deployment (``jobs``)."""
