/*
 * BLAKE2s-256 (RFC 7693), HMAC-BLAKE2s and the Noise HKDF.
 *
 * The hash vectors are the RFC 7693 Appendix B "abc" vector, the empty
 * input, and entries of the BLAKE2 reference blake2s-kat.txt (key
 * 00..1f).  The remaining expected values (long inputs, HMAC, HKDF)
 * were computed independently with Python 3's hashlib.blake2s and hmac
 * modules:
 *
 *	H = lambda k, m: hmac.new(k, m, hashlib.blake2s).digest()
 *	def hkdf(ck, ikm, n):
 *		prk = H(ck, ikm); out = []; prev = b""
 *		for i in range(1, n + 1):
 *			prev = H(prk, prev + bytes([i])); out.append(prev)
 *		return out
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "test.h"

static int
hexeq(const uint8_t *bin, size_t len, const char *hex)
{
	char	buf[2 * 128 + 1];

	if (len > 128)
		return (0);
	sodium_bin2hex(buf, sizeof(buf), bin, len);
	if (strcmp(buf, hex) != 0) {
		fprintf(stderr, "  got      %s\n  expected %s\n", buf, hex);
		return (0);
	}
	return (1);
}

static void
seq(uint8_t *p, size_t len, uint8_t start)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(start + i);
}

TEST(rfc7693_abc)
{
	uint8_t	out[32];

	ASSERT_INT_EQ(blake2s(out, 32, NULL, 0, "abc", 3), 0);
	ASSERT(hexeq(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f"
	    "37458b209ed63a294d999b4c86675982"));
}

TEST(empty_unkeyed)
{
	uint8_t	out[32];

	ASSERT_INT_EQ(blake2s(out, 32, NULL, 0, "", 0), 0);
	ASSERT(hexeq(out, 32, "69217a3079908094e11121d042354a7c"
	    "1f55b6482ca1a51e1b250dfd1ed0eef9"));
}

TEST(keyed_kat)
{
	uint8_t	key[32], in[64], out[32];

	seq(key, sizeof(key), 0);
	seq(in, sizeof(in), 0);
	ASSERT_INT_EQ(blake2s(out, 32, key, 32, in, 0), 0);
	ASSERT(hexeq(out, 32, "48a8997da407876b3d79c0d92325ad3b"
	    "89cbb754d86ab71aee047ad345fd2c49"));
	ASSERT_INT_EQ(blake2s(out, 32, key, 32, in, 64), 0);
	ASSERT(hexeq(out, 32, "8975b0577fd35566d750b362b0897a26"
	    "c399136df07bababbde6203ff2954ed4"));
}

TEST(lengths_and_blocks)
{
	uint8_t	in[1000], out[32];

	memset(in, 0, 64);
	ASSERT_INT_EQ(blake2s(out, 32, NULL, 0, in, 64), 0);
	ASSERT(hexeq(out, 32, "ae09db7cd54f42b490ef09b6bc541af6"
	    "88e4959bb8c53f359a6f56e38ab454a3"));
	memset(in, 'a', sizeof(in));
	ASSERT_INT_EQ(blake2s(out, 32, NULL, 0, in, sizeof(in)), 0);
	ASSERT(hexeq(out, 32, "a4691c2bf852334ece63c024234338fc"
	    "6c150bdf04fa3f6e0e4c5209b326438d"));
	ASSERT_INT_EQ(blake2s(out, 16, NULL, 0, "abc", 3), 0);
	ASSERT(hexeq(out, 16, "aa4938119b1dc7b87cbad0ffd200d0ae"));
}

TEST(bad_parameters)
{
	struct blake2s_ctx	ctx;
	uint8_t			key[33];

	memset(key, 1, sizeof(key));
	ASSERT_INT_EQ(blake2s_init(&ctx, 0, NULL, 0), -1);
	ASSERT_INT_EQ(blake2s_init(&ctx, 33, NULL, 0), -1);
	ASSERT_INT_EQ(blake2s_init(&ctx, 32, key, 33), -1);
	ASSERT_INT_EQ(blake2s_init(&ctx, 32, NULL, 1), -1);
}

TEST(incremental_equals_oneshot)
{
	struct blake2s_ctx	ctx;
	uint8_t			in[300], key[32], one[32], inc[32];
	size_t			split, step, off, n;
	int			keyed;

	seq(in, sizeof(in), 7);
	seq(key, sizeof(key), 0x40);
	for (keyed = 0; keyed < 2; keyed++) {
		for (split = 0; split <= sizeof(in); split += 13) {
			ASSERT_INT_EQ(blake2s(one, 32, keyed ? key : NULL,
			    keyed ? 32 : 0, in, split), 0);
			for (step = 1; step <= 65; step += 16) {
				ASSERT_INT_EQ(blake2s_init(&ctx, 32,
				    keyed ? key : NULL, keyed ? 32 : 0), 0);
				for (off = 0; off < split; off += n) {
					n = split - off < step ?
					    split - off : step;
					blake2s_update(&ctx, in + off, n);
				}
				blake2s_update(&ctx, NULL, 0);
				blake2s_final(&ctx, inc);
				ASSERT(memcmp(one, inc, 32) == 0);
			}
		}
	}
}

TEST(hmac_python)
{
	uint8_t		 out[32], key[100];
	const char	*fox = "The quick brown fox jumps over the lazy dog";
	const char	*big =
	    "Test Using Larger Than Block-Size Key - Hash Key First";

	blake2s_hmac(out, (const uint8_t *)"key", 3, fox, strlen(fox));
	ASSERT(hexeq(out, 32, "f93215bb90d4af4c3061cd932fb169fb"
	    "8bb8a91d0b4022baea1271e1323cd9a0"));
	memset(key, 0xaa, sizeof(key));
	blake2s_hmac(out, key, 100, big, strlen(big));
	ASSERT(hexeq(out, 32, "6d5406353ca2d942cdc577ddbaaf9088"
	    "3f43b999eb3878979e68deb5d2e09563"));
	memset(key, 0x0b, 32);
	blake2s_hmac(out, key, 32, "", 0);
	ASSERT(hexeq(out, 32, "038de4a1c3d6097cb2fc256a183124fb"
	    "675987769f1935c8c923134534fa5c4c"));
}

TEST(hkdf_python)
{
	uint8_t	ck[32], ikm[32], o1[32], o2[32], o3[32];

	seq(ck, sizeof(ck), 0);
	seq(ikm, sizeof(ikm), 0x20);
	blake2s_hkdf(ck, ikm, sizeof(ikm), o1, o2, o3);
	ASSERT(hexeq(o1, 32, "6a96444e20e8d4c1cee974416acae1c1"
	    "0b3c92886010e54ed94dafb2c3b80ea0"));
	ASSERT(hexeq(o2, 32, "57af120b0de7acbe7907ec149c5ae870"
	    "a2dbb74232b65777ba4123f1f7f888f5"));
	ASSERT(hexeq(o3, 32, "0926c7caabb6e8d73beda759e6f4f0d3"
	    "24ce5b5000bcf8cd784b26db3049faa9"));

	/* Two outputs, empty input (Noise Split), outputs aliasing ck. */
	blake2s_hkdf(ck, NULL, 0, ck, o2, NULL);
	ASSERT(hexeq(ck, 32, "7a38c34bf2b8738d7374ca77c44ecb30"
	    "9a11d2b2528304fa86052c365e722624"));
	ASSERT(hexeq(o2, 32, "1a17621f346abdc520746a9fb64d8eb0"
	    "3231d674fc15687537b0780fd9c060fd"));
}

TEST(noise_protocol_name)
{
	const char	*name = "Noise_IK_25519_ChaChaPoly_BLAKE2s";
	uint8_t		 out[32];

	ASSERT_INT_EQ(blake2s(out, 32, NULL, 0, name, strlen(name)), 0);
	ASSERT(hexeq(out, 32, "bbea022b948cf3bc5857d70804229179"
	    "e1116bc40cb8cc074835349c464bca36"));
}

TEST_MAIN()
