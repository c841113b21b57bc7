/* MagicDNS names: sanitising, uniqueness suffixes, FQDNs. */
#include <string.h>

#include "names.h"
#include "test.h"

static int
taken_in(const char *label, void *arg)
{
	const char	**set = arg;

	for (; *set != NULL; set++)
		if (strcmp(*set, label) == 0)
			return (1);
	return (0);
}

TEST(sanitise)
{
	char	out[NAME_LABEL_MAX + 1];
	char	longname[200];

	name_sanitise("My-Laptop", out, sizeof(out));
	ASSERT_STR_EQ(out, "my-laptop");
	name_sanitise("Jane's MacBook Pro", out, sizeof(out));
	ASSERT_STR_EQ(out, "jane-s-macbook-pro");
	name_sanitise("host.example.com", out, sizeof(out));
	ASSERT_STR_EQ(out, "host");
	name_sanitise("--weird__name--", out, sizeof(out));
	ASSERT_STR_EQ(out, "weird--name");
	name_sanitise("", out, sizeof(out));
	ASSERT_STR_EQ(out, "node");
	name_sanitise("\xc3\xa9\xc3\xa9", out, sizeof(out));
	ASSERT_STR_EQ(out, "node");
	name_sanitise(NULL, out, sizeof(out));
	ASSERT_STR_EQ(out, "node");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	name_sanitise(longname, out, sizeof(out));
	ASSERT_INT_EQ(strlen(out), 63);
	ASSERT(name_label_valid(out));
}

TEST(unique_suffixes)
{
	const char	*none[] = { NULL };
	const char	*some[] = { "laptop", "laptop-1", NULL };
	char		 out[NAME_LABEL_MAX + 1], longname[100];
	const char	*full[3];

	ASSERT(name_unique("Laptop", taken_in, none, out, sizeof(out)) == 0);
	ASSERT_STR_EQ(out, "laptop");
	ASSERT(name_unique("Laptop", taken_in, some, out, sizeof(out)) == 0);
	ASSERT_STR_EQ(out, "laptop-2");
	/* A 63-byte name makes room for its suffix. */
	memset(longname, 'b', 63);
	longname[63] = '\0';
	full[0] = longname;
	full[1] = NULL;
	ASSERT(name_unique(longname, taken_in, full, out, sizeof(out)) == 0);
	ASSERT_INT_EQ(strlen(out), 63);
	ASSERT(strcmp(out + 61, "-1") == 0);
	ASSERT(name_label_valid(out));
}

TEST(fqdn_has_trailing_dot)
{
	char	out[300];

	ASSERT(name_fqdn("laptop", "tailnet.example", out, sizeof(out)) == 0);
	ASSERT_STR_EQ(out, "laptop.tailnet.example.");
	ASSERT(name_fqdn("laptop", "tailnet.example", out, 10) == -1);
}

TEST(label_validity)
{
	ASSERT(name_label_valid("a"));
	ASSERT(name_label_valid("a-b-1"));
	ASSERT(!name_label_valid(""));
	ASSERT(!name_label_valid("-a"));
	ASSERT(!name_label_valid("a-"));
	ASSERT(!name_label_valid("A"));
	ASSERT(!name_label_valid("a.b"));
}

TEST_MAIN()
