"""Authentication hardening (GB/T 22239 level 3, OWASP ASVS L2).

- ``passwords``: the character-class rule of password complexity;
- ``middleware``: idle and absolute session timeouts, and the second-factor gate;
- ``otp``: who must use a second factor (TOTP), and the enrolment QR code;
- ``views`` / ``forms``: the second-factor pages and the Security page;
- ``api``: the token endpoint, which asks for a one-time code where one is required;
- ``lockout``: what a user locked out by django-axes sees.
"""
