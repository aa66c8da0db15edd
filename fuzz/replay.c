/*
 * replay.c -- runs a fuzz target's LLVMFuzzerTestOneInput over files,
 * without libFuzzer, so `make test` replays every seed and every input
 * the fuzzers found (under ASan+UBSan) on any compiler.
 *
 *   replay FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		uint8_t *buf = NULL;
		size_t n = 0, cap = 0;
		for (;;) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				uint8_t *p = realloc(buf, cap);
				if (!p) {
					perror("realloc");
					return 2;
				}
				buf = p;
			}
			size_t k = fread(buf + n, 1, cap - n, f);
			n += k;
			if (k == 0)
				break;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
