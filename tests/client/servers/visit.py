"""A stand-in web browser for `$BROWSER`: GET the URL and follow its redirects.

The authorization servers in the tests approve at once, so following the redirect
lands on the client's loopback callback, as a user's browser would.
Run:  python visit.py URL (from a $BROWSER wrapper script)
"""

import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=30) as response:
    response.read()
