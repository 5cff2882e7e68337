/*
 * Copyright (c) 2026 The COLO proxy for Open vSwitch authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* colo-vm-udp-echo PORT -- the UDP echo server of the COLO bed's guest
 * (utilities/colo-vm.sh builds it statically into the guest's initramfs:
 * busybox has no UDP server).  Answers every datagram on PORT, IPv4 and
 * IPv6 (one dual-stack socket), with the same bytes. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int
main(int argc, char *argv[])
{
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
    int fd, off = 0;

    if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    sin6.sin6_port = htons(atoi(argv[1]));
    sin6.sin6_addr = in6addr_any;
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0
        || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off)
        || bind(fd, (struct sockaddr *) &sin6, sizeof sin6)) {
        perror("colo-vm-udp-echo");
        return 1;
    }
    for (;;) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        char buf[65536];
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0,
                             (struct sockaddr *) &from, &from_len);

        if (n >= 0) {
            sendto(fd, buf, n, 0, (struct sockaddr *) &from, from_len);
        }
    }
}
