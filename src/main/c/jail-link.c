#include "jail-link.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One RTM_NEWLINK request: the header, the link, two attributes (rtnetlink(7)). */
struct link_request {
	struct nlmsghdr header;
	struct ifinfomsg link;		/* ifi_index: the interface changed */
	char attributes[64];		/* IFLA_NET_NS_PID (u32), IFLA_IFNAME (string) */
};

static size_t add_attribute(struct link_request *request, size_t used, unsigned short type,
			    const void *data, size_t length)
{
	struct rtattr *attribute = (struct rtattr *)(void *)(request->attributes + used);

	attribute->rta_type = type;
	attribute->rta_len = (unsigned short)RTA_LENGTH(length);
	memcpy(RTA_DATA(attribute), data, length);
	return used + RTA_ALIGN(attribute->rta_len);
}

int jail_link_move(const char *name, pid_t pid, const char *new_name)
{
	struct link_request request;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr header;
		char bytes[512];
	} answer;
	uint32_t namespace_pid = (uint32_t)pid;
	size_t used = 0, new_length = strlen(new_name);
	unsigned int index = if_nametoindex(name);
	ssize_t received;
	int fd, result;

	if (index == 0)
		return -errno;
	if (new_length == 0 || new_length >= IFNAMSIZ)
		return -EINVAL;
	memset(&request, 0, sizeof(request));
	used = add_attribute(&request, used, IFLA_NET_NS_PID, &namespace_pid, sizeof(namespace_pid));
	used = add_attribute(&request, used, IFLA_IFNAME, new_name, new_length + 1);
	request.header.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(request.link)) + used);
	request.header.nlmsg_type = RTM_NEWLINK;
	request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	request.header.nlmsg_seq = 1;
	request.link.ifi_family = AF_UNSPEC;
	request.link.ifi_index = (int)index;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &request, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
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
