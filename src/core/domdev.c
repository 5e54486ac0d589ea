/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libvirt domain XML -> struct vm_devices (disks, NICs, controllers, CPU model and topology). */
#include "domdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/domxml-internal.h"
#include "core/domxml.h"
#include "core/userfile.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* More of one kind than any real domain has: a hostile file is refused, not grown into. */
#define DOMDEV_MAX 4096

static int num_attr(xmlNode *n, const char *name, const char *obj, unsigned *ret, struct diag *d)
{
	AUTOFREE char *v = domxml_attr(n, name);

	if (!v)
		return 0;
	if (parse_u32(v, ret) < 0 || *ret > 65536)
		return diag_set(d, EINVAL, obj, "%s: %s '%.40s' is not a number up to 65536", obj,
				name, v);
	return 0;
}

static void *grow(void *v, size_t n, size_t size)
{
	return xreallocarray(v, n + 1, size);
}

static int parse_disk(xmlNode *n, struct vm_devices *dv, struct diag *d)
{
	xmlNode *drv = domxml_child(n, "driver"), *src = domxml_child(n, "source");
	xmlNode *tgt = domxml_child(n, "target");
	struct vm_disk *k;

	dv->disks = grow(dv->disks, dv->ndisks, sizeof(*dv->disks));
	k = &dv->disks[dv->ndisks++];
	memset(k, 0, sizeof(*k));
	k->type = domxml_attr(n, "type");
	k->device = domxml_attr(n, "device");
	if (src) {
		static const char *const keys[] = {"file", "dev", "name", "path", "volume"};

		for (size_t i = 0; !k->source && i < sizeof(keys) / sizeof(keys[0]); i++)
			k->source = domxml_attr(src, keys[i]);
	}
	if (tgt) {
		k->target = domxml_attr(tgt, "dev");
		k->bus = domxml_attr(tgt, "bus");
	}
	if (!drv)
		return 0;
	k->format = domxml_attr(drv, "type");
	k->cache = domxml_attr(drv, "cache");
	k->io = domxml_attr(drv, "io");
	k->iothreads_mapped = domxml_child(drv, "iothreads") != NULL;
	return num_attr(drv, "iothread", "disk driver", &k->iothread, d);
}

static int parse_nic(xmlNode *n, struct vm_devices *dv, struct diag *d)
{
	xmlNode *model = domxml_child(n, "model"), *drv = domxml_child(n, "driver");
	xmlNode *mac = domxml_child(n, "mac");
	struct vm_nic *c;

	dv->nics = grow(dv->nics, dv->nnics, sizeof(*dv->nics));
	c = &dv->nics[dv->nnics++];
	memset(c, 0, sizeof(*c));
	c->type = domxml_attr(n, "type");
	c->model = model ? domxml_attr(model, "type") : NULL;
	c->mac = mac ? domxml_attr(mac, "address") : NULL;
	if (!drv)
		return 0;
	c->driver_name = domxml_attr(drv, "name");
	return num_attr(drv, "queues", "interface driver", &c->queues, d);
}

static int parse_controller(xmlNode *n, struct vm_devices *dv, struct diag *d)
{
	xmlNode *drv = domxml_child(n, "driver");
	struct vm_controller *c;
	int r;

	dv->controllers = grow(dv->controllers, dv->ncontrollers, sizeof(*dv->controllers));
	c = &dv->controllers[dv->ncontrollers++];
	memset(c, 0, sizeof(*c));
	c->type = domxml_attr(n, "type");
	c->model = domxml_attr(n, "model");
	r = num_attr(n, "index", "controller", &c->index, d);
	if (r >= 0 && drv)
		r = num_attr(drv, "iothread", "controller driver", &c->iothread, d);
	return r;
}

static bool attr_is(xmlNode *n, const char *name, const char *value)
{
	AUTOFREE char *v = domxml_attr(n, name);

	return v && strcmp(v, value) == 0;
}

/* A device plugged into a USB port (<address type='usb'>): smartcards, USB disks, ... */
static bool on_usb(xmlNode *n)
{
	xmlNode *addr = domxml_child(n, "address");

	return addr && attr_is(addr, "type", "usb");
}

static void count_other(xmlNode *n, struct vm_devices *dv)
{
	if (domxml_is_elem(n, "sound")) {
		dv->sounds++;
	} else if (domxml_is_elem(n, "input")) {
		if (attr_is(n, "type", "tablet"))
			dv->tablets++;
		else if (attr_is(n, "bus", "usb"))
			dv->usb_devices++;
	} else if (domxml_is_elem(n, "redirdev") ||
		   (domxml_is_elem(n, "hostdev") && attr_is(n, "type", "usb"))) {
		dv->usb_devices++;
	}
}

static int parse_devices(xmlNode *devs, struct vm_devices *dv, struct diag *d)
{
	size_t count = 0;
	int r = 0;

	for (xmlNode *n = devs ? devs->children : NULL; n && r >= 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (++count > DOMDEV_MAX)
			return diag_set(d, EINVAL, "devices", "more than %d devices", DOMDEV_MAX);
		if (on_usb(n) && !(domxml_is_elem(n, "input") && attr_is(n, "type", "tablet")))
			dv->usb_devices++;
		if (domxml_is_elem(n, "disk"))
			r = parse_disk(n, dv, d);
		else if (domxml_is_elem(n, "interface"))
			r = parse_nic(n, dv, d);
		else if (domxml_is_elem(n, "controller"))
			r = parse_controller(n, dv, d);
		else
			count_other(n, dv);
	}
	return r;
}

static int parse_cpu(xmlNode *cpu, struct vm_devices *dv, struct diag *d)
{
	xmlNode *topo = domxml_child(cpu, "topology"), *model = domxml_child(cpu, "model");
	int r = 0;

	if (!cpu)
		return 0;
	dv->cpu_mode = domxml_attr(cpu, "mode");
	if (model)
		dv->cpu_model = domxml_text(model);
	if (!topo)
		return 0;
	dv->topology = true;
	r = num_attr(topo, "sockets", "cpu topology", &dv->sockets, d);
	if (r >= 0)
		r = num_attr(topo, "dies", "cpu topology", &dv->dies, d);
	if (r >= 0)
		r = num_attr(topo, "clusters", "cpu topology", &dv->clusters, d);
	if (r >= 0)
		r = num_attr(topo, "cores", "cpu topology", &dv->cores, d);
	if (r >= 0)
		r = num_attr(topo, "threads", "cpu topology", &dv->threads, d);
	return r;
}

static int parse_pins(xmlNode *cputune, struct vm_devices *dv, struct diag *d)
{
	for (xmlNode *n = cputune ? cputune->children : NULL; n; n = n->next) {
		AUTOFREE char *set = NULL;
		struct vm_vcpupin *p;
		int r;

		if (!domxml_is_elem(n, "vcpupin"))
			continue;
		if (dv->npins >= DOMDEV_MAX)
			return diag_set(d, EINVAL, "vcpupin", "more than %d vcpupin", DOMDEV_MAX);
		dv->pins = grow(dv->pins, dv->npins, sizeof(*dv->pins));
		p = &dv->pins[dv->npins++];
		memset(p, 0, sizeof(*p));
		set = domxml_attr(n, "cpuset");
		r = num_attr(n, "vcpu", "vcpupin", &p->vcpu, d);
		if (r >= 0)
			r = domxml_parse_set("vcpupin cpuset", set, &p->cpus, d);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_root(xmlNode *root, struct vm_devices *dv, struct diag *d)
{
	xmlNode *n;
	int r;

	if (!root || !domxml_is_elem(root, "domain"))
		return diag_set(d, EINVAL, "domain", "the root element is not <domain>");
	dv->domain_type = domxml_attr(root, "type");
	if ((n = domxml_child(root, "vcpu"))) {
		AUTOFREE char *v = domxml_text(n);

		if (parse_u32(v, &dv->vcpus) < 0 || dv->vcpus > 65536)
			return diag_set(d, EINVAL, "vcpu", "vcpu: '%.40s' is not a number of vCPUs",
					v);
	}
	if ((n = domxml_child(root, "iothreads"))) {
		AUTOFREE char *v = domxml_text(n);

		if (parse_u32(v, &dv->iothreads) < 0 || dv->iothreads > 65536)
			return diag_set(d, EINVAL, "iothreads",
					"iothreads: '%.40s' is not a number", v);
	}
	r = parse_cpu(domxml_child(root, "cpu"), dv, d);
	if (r >= 0)
		r = parse_pins(domxml_child(root, "cputune"), dv, d);
	if (r >= 0)
		r = parse_devices(domxml_child(root, "devices"), dv, d);
	return r;
}

int domdev_parse(const char *text, size_t len, struct vm_devices *ret, struct diag *d)
{
	struct vm_devices dv = {0};
	xmlDoc *doc = NULL;
	int r;

	r = domxml_read_doc(text, len, &doc, d);
	if (r < 0)
		return r;
	r = parse_root(xmlDocGetRootElement(doc), &dv, d);
	xmlFreeDoc(doc);
	if (r < 0) {
		domdev_release(&dv);
		return r;
	}
	*ret = dv;
	return 0;
}

int domdev_parse_file(const char *path, struct vm_devices *ret, struct diag *d)
{
	AUTOFREE char *text = NULL;
	size_t len = 0;
	int r;

	r = userfile_read(path, DOMXML_MAX_FILE_BYTES, &text, &len, d);
	if (r < 0)
		return r;
	r = domdev_parse(text, len, ret, d);
	if (r < 0)
		diag_prefix(d, "%s: ", path);
	return r;
}

void domdev_release(struct vm_devices *dv)
{
	for (size_t i = 0; i < dv->ndisks; i++) {
		struct vm_disk *k = &dv->disks[i];

		free(k->type);
		free(k->device);
		free(k->source);
		free(k->target);
		free(k->bus);
		free(k->format);
		free(k->cache);
		free(k->io);
	}
	for (size_t i = 0; i < dv->nnics; i++) {
		free(dv->nics[i].type);
		free(dv->nics[i].model);
		free(dv->nics[i].driver_name);
		free(dv->nics[i].mac);
	}
	for (size_t i = 0; i < dv->ncontrollers; i++) {
		free(dv->controllers[i].type);
		free(dv->controllers[i].model);
	}
	for (size_t i = 0; i < dv->npins; i++)
		cpuset_release(&dv->pins[i].cpus);
	free(dv->disks);
	free(dv->nics);
	free(dv->controllers);
	free(dv->pins);
	free(dv->domain_type);
	free(dv->cpu_mode);
	free(dv->cpu_model);
	memset(dv, 0, sizeof(*dv));
}

const char *vm_disk_bus(const struct vm_disk *disk)
{
	const char *t = disk->target ? disk->target : "";

	if (disk->bus)
		return disk->bus;
	if (strncmp(t, "vd", 2) == 0)
		return "virtio";
	if (strncmp(t, "hd", 2) == 0)
		return "ide";
	if (strncmp(t, "sd", 2) == 0)
		return "scsi";
	if (strncmp(t, "fd", 2) == 0)
		return "fdc";
	return "";
}
