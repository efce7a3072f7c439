#include "jail-link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* An rtnetlink request being built: a header, then the payload (rtnetlink(7)). */
struct request {
	union {
		struct nlmsghdr header;
		char bytes[512];
	} message;
	size_t used;		/* bytes of message in use, aligned */
	int overflow;		/* an attribute did not fit */
};

static void *put(struct request *request, const void *data, size_t length)
{
	char *at = request->message.bytes + request->used;

	if (request->used + NLMSG_ALIGN(length) > sizeof(request->message.bytes)) {
		request->overflow = 1;
		return NULL;
	}
	memset(at, 0, NLMSG_ALIGN(length));
	if (data)
		memcpy(at, data, length);
	request->used += NLMSG_ALIGN(length);
	return at;
}

/* Appends an attribute; returns its offset, for nested attributes to close later. */
static size_t attribute(struct request *request, unsigned short type, const void *data, size_t length)
{
	size_t offset = request->used;
	struct rtattr *header = put(request, NULL, RTA_LENGTH(0));

	if (!header)
		return offset;
	header->rta_type = type;
	if (length > 0)
		put(request, data, length);
	header->rta_len = (unsigned short)(RTA_LENGTH(0) + length);
	return offset;
}

/* Closes a nested attribute opened at OFFSET: its length covers what was appended since. */
static void close_nest(struct request *request, size_t offset)
{
	struct rtattr *header = (struct rtattr *)(void *)(request->message.bytes + offset);

	header->rta_len = (unsigned short)(request->used - offset);
}

static int parse_mac(const char *text, unsigned char mac[6])
{
	char end;

	return sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		      &mac[5], &end) == 6 ? 0 : -EINVAL;
}

/* Sends the request and reads the kernel's acknowledgement: 0 or a negative errno. */
static int transact(struct request *request)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr header;
		char bytes[1024];
	} answer;
	ssize_t received;
	int fd, result;

	request->message.header.nlmsg_len = (uint32_t)request->used;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, request->message.bytes, request->used, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		result = -errno;
		goto out;
	}
	do {
		received = recv(fd, &answer, sizeof(answer), 0);
	} while (received < 0 && errno == EINTR);
	if (received < 0) {
		result = -errno;
		goto out;
	}
	/* The acknowledgement is an NLMSG_ERROR whose error is 0 on success. */
	if ((size_t)received < NLMSG_LENGTH(sizeof(struct nlmsgerr)) || answer.header.nlmsg_type != NLMSG_ERROR) {
		result = -EPROTO;
		goto out;
	}
	result = ((struct nlmsgerr *)NLMSG_DATA(&answer.header))->error;
out:
	close(fd);
	return result;
}

int jail_link_veth(const char *host_name, const char *bridge, const char *mac_text, pid_t pid, const char *jail_name)
{
	static struct request request;
	struct ifinfomsg host = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	unsigned char mac[6];
	uint32_t master = if_nametoindex(bridge), namespace_pid = (uint32_t)pid;
	size_t link_info, info_data, peer_info;

	if (master == 0)
		return -errno;
	if (parse_mac(mac_text, mac) < 0 || strlen(host_name) >= IFNAMSIZ || strlen(jail_name) >= IFNAMSIZ)
		return -EINVAL;
	memset(&request, 0, sizeof(request));
	put(&request, NULL, NLMSG_HDRLEN);
	request.message.header.nlmsg_type = RTM_NEWLINK;
	request.message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	request.message.header.nlmsg_seq = 1;
	put(&request, &host, sizeof(host));
	attribute(&request, IFLA_IFNAME, host_name, strlen(host_name) + 1);
	attribute(&request, IFLA_MASTER, &master, sizeof(master));
	link_info = attribute(&request, IFLA_LINKINFO, NULL, 0);
	attribute(&request, IFLA_INFO_KIND, "veth", sizeof("veth"));
	info_data = attribute(&request, IFLA_INFO_DATA, NULL, 0);
	/* VETH_INFO_PEER holds the peer's ifinfomsg, then its attributes (drivers/net/veth.c). */
	peer_info = attribute(&request, VETH_INFO_PEER, NULL, 0);
	put(&request, &peer, sizeof(peer));
	attribute(&request, IFLA_IFNAME, jail_name, strlen(jail_name) + 1);
	attribute(&request, IFLA_ADDRESS, mac, sizeof(mac));
	attribute(&request, IFLA_NET_NS_PID, &namespace_pid, sizeof(namespace_pid));
	close_nest(&request, peer_info);
	close_nest(&request, info_data);
	close_nest(&request, link_info);
	if (request.overflow)
		return -E2BIG;
	return transact(&request);
}
