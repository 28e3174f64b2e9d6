/*
 * LD_PRELOAD shim for the capacity benchmark's Janus: getifaddrs() reports one interface,
 * "lo" with 127.0.0.1, and without IFF_LOOPBACK.
 *
 * Janus 1.1 (and libnice under it) skips loopback interfaces when gathering ICE candidates
 * whatever its configuration says, so in a network namespace that has only loopback it would
 * offer no candidate at all. Compiled at run time by bench/capacity_janus.py:
 *   gcc -shared -fPIC -O2 -o loopback_only.so capacity_loopback_only.c
 */
#define _GNU_SOURCE
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct block {
    struct ifaddrs entry;
    struct sockaddr_in addr;
    struct sockaddr_in mask;
    char name[4];
};

int getifaddrs(struct ifaddrs **list) {
    struct block *b = calloc(1, sizeof *b);
    if (b == NULL) {
        return -1;
    }
    strcpy(b->name, "lo");
    b->addr.sin_family = AF_INET;
    b->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b->mask.sin_family = AF_INET;
    b->mask.sin_addr.s_addr = htonl(0xff000000);
    b->entry.ifa_next = NULL;
    b->entry.ifa_name = b->name;
    b->entry.ifa_flags = IFF_UP | IFF_RUNNING;
    b->entry.ifa_addr = (struct sockaddr *)&b->addr;
    b->entry.ifa_netmask = (struct sockaddr *)&b->mask;
    *list = &b->entry;
    return 0;
}

void freeifaddrs(struct ifaddrs *list) {
    free(list); /* the entry is the first member of its block */
}
