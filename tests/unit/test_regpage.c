/*
 * The registration page's pieces: HTML escaping of what clients send,
 * and the exact form of auth ids before any lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "authreq.h"
#include "coordinator.h"
#include "test.h"

static int
escapes_to(const char *in, const char *want)
{
	char	*s = regpage_escape(in);
	int	 ok = strcmp(s, want) == 0;

	if (!ok)
		fprintf(stderr, "  escape(\"%s\") = \"%s\"\n", in, s);
	free(s);
	return (ok);
}

TEST(escape_specials)
{
	ASSERT(escapes_to("laptop", "laptop"));
	ASSERT(escapes_to("<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;"));
	ASSERT(escapes_to("a&b", "a&amp;b"));
	ASSERT(escapes_to("\"x\" 'y'", "&quot;x&quot; &#39;y&#39;"));
	ASSERT(escapes_to("&amp;", "&amp;amp;"));
	ASSERT(escapes_to("", ""));
	ASSERT(escapes_to(NULL, ""));
}

TEST(escape_drops_controls)
{
	ASSERT(escapes_to("a\r\nb\tc\x7f" "d\x1b[0m", "abcd[0m"));
	/* UTF-8 passes as it is. */
	ASSERT(escapes_to("caf\xc3\xa9", "caf\xc3\xa9"));
}

TEST(auth_id_form)
{
	ASSERT(authreq_id_valid("hskey-authreq-abcdefghijklmnopqrstuvwX"));
	ASSERT(authreq_id_valid("hskey-authreq-0123456789ABCDEFGHIJKLMN"));
	/* One short, one long, a bad letter, another prefix. */
	ASSERT(!authreq_id_valid("hskey-authreq-abcdefghijklmnopqrstuvw"));
	ASSERT(!authreq_id_valid("hskey-authreq-abcdefghijklmnopqrstuvwXY"));
	ASSERT(!authreq_id_valid("hskey-authreq-abcdefghijklmnopqrstuv-X"));
	ASSERT(!authreq_id_valid("hskey-authreq-abcdefghijklmnopqrstuv%2"));
	ASSERT(!authreq_id_valid("hskey-authreq-abcdefghijklmnopqrstuv/X"));
	ASSERT(!authreq_id_valid("hskey-auth-abcdefghijklmnopqrstuvwXabc"));
	ASSERT(!authreq_id_valid("HSKEY-AUTHREQ-abcdefghijklmnopqrstuvwX"));
	ASSERT(!authreq_id_valid(""));
	ASSERT(!authreq_id_valid(NULL));
}

TEST_MAIN()
