/*
 * ledger._mapcore: the subject map's per-batch work in C.
 *
 * Why: every durable append walks the subject map (ledger/subjectmap.py) once per entry (`put`)
 * and once per batch (`commit`: hash each changed node, encode each changed tile). In Python that
 * was 0.3-0.4 ms of a 2.8 ms 32-entry append (bench/results/completeness.md), the largest part of
 * the completeness commitment's cost. The tree, its hashes and its tiles are exactly those of the
 * Python implementation, which stays the reference (and the fallback where this module is not
 * built): tests/ledger/test_subjectmap_rows_reference.py holds both to the same roots and rows.
 *
 * Unlike the Python nodes, a branch keeps no copy of how it reads in its parent's tile: only a
 * tile's top branch keeps the version its row was stored under. A changed tile is encoded by
 * walking it (at most 31 nodes, no hashing of what did not change), which costs less than
 * keeping, allocating and copying an encoding per branch, and the map holds about a third of the
 * memory.
 *
 * The nodes are not tracked by the cyclic garbage collector: the map is a tree (no reference
 * cycles), so reference counting frees it, and a collection never has to scan millions of nodes
 * (see ledger/heap.py for what that scan cost the Python nodes).
 *
 * SHA-256 is OpenSSL's (the library CPython's hashlib uses), through one digest context fetched
 * once: the one-shot SHA256() looks the algorithm up on every call, which made it cost 330 ns a
 * node here against 136 ns. The context is shared; every call into this module holds the GIL
 * from start to end, so no two hashes ever use it at once.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>

#define KEY_SIZE 32
#define HASH_SIZE 32
#define KEY_BITS (KEY_SIZE * 8)
#define TILE_HEIGHT 4
#define TAG_EMPTY 0x00
#define TAG_REF 0x01
#define TAG_LEAF 0x02
#define TAG_BRANCH 0x03
#define TAG_TILE 0x04
#define LEAF_BODY (1 + KEY_SIZE + 8)
#define REF_SIZE (1 + HASH_SIZE + 8)

static const unsigned char EMPTY_HASH[HASH_SIZE] = {0};

static const EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;

/* SHA-256 of `size` bytes; OpenSSL does not fail on a fetched digest and a live context. */
static void sha256(const unsigned char *data, size_t size, unsigned char out[HASH_SIZE])
{
    EVP_DigestInit_ex(sha256_ctx, sha256_md, NULL);
    EVP_DigestUpdate(sha256_ctx, data, size);
    EVP_DigestFinal_ex(sha256_ctx, out, NULL);
}

typedef struct {
    PyObject_HEAD
    PyObject *key; /* bytes, KEY_SIZE long */
    uint64_t value;
    unsigned char hash[HASH_SIZE];
    char has_hash;
} LeafObject;

typedef struct {
    PyObject_HEAD
    PyObject *left;  /* Leaf, Branch or None; never NULL */
    PyObject *right;
    uint64_t version; /* a tile's top branch: the version its tile row is stored under */
    unsigned char hash[HASH_SIZE];
    char has_hash;
    char stored;      /* a tile's top branch unchanged since its row was stored (version set) */
} BranchObject;

static PyTypeObject LeafType;
static PyTypeObject BranchType;

#define IS_LEAF(o) Py_IS_TYPE((o), &LeafType)
#define IS_BRANCH(o) Py_IS_TYPE((o), &BranchType)

static inline int key_bit(const unsigned char *key, int depth)
{
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1;
}

static inline void put_be64(unsigned char *out, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(value & 0xff);
        value >>= 8;
    }
}

static inline const unsigned char *leaf_key(LeafObject *leaf)
{
    return (const unsigned char *)PyBytes_AS_STRING(leaf->key);
}

static void leaf_body(LeafObject *leaf, unsigned char body[LEAF_BODY])
{
    body[0] = TAG_LEAF;
    memcpy(body + 1, leaf_key(leaf), KEY_SIZE);
    put_be64(body + 1 + KEY_SIZE, leaf->value);
}

static void branch_digest(const unsigned char *left, const unsigned char *right,
                          unsigned char out[HASH_SIZE])
{
    unsigned char buffer[1 + 2 * HASH_SIZE];
    buffer[0] = TAG_BRANCH;
    memcpy(buffer + 1, left, HASH_SIZE);
    memcpy(buffer + 1 + HASH_SIZE, right, HASH_SIZE);
    sha256(buffer, sizeof buffer, out);
}

/* ------------------------------------------------------------------ argument checks */

static int as_key(PyObject *key)
{
    if (!PyBytes_Check(key) || PyBytes_GET_SIZE(key) != KEY_SIZE) {
        PyErr_SetString(PyExc_ValueError, "a map key is 32 bytes and a value a uint64");
        return -1;
    }
    return 0;
}

static int as_value(PyObject *value, uint64_t *out)
{
    if (!PyLong_Check(value)) {
        PyErr_SetString(PyExc_ValueError, "a map key is 32 bytes and a value a uint64");
        return -1;
    }
    unsigned long long converted = PyLong_AsUnsignedLongLong(value);
    if (converted == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "a map key is 32 bytes and a value a uint64");
        return -1;
    }
    *out = (uint64_t)converted;
    return 0;
}

static int as_child(PyObject *child)
{
    if (child != Py_None && !IS_LEAF(child) && !IS_BRANCH(child)) {
        PyErr_Format(PyExc_TypeError, "a map node's child is a Leaf, a Branch or None, not %s",
                     Py_TYPE(child)->tp_name);
        return -1;
    }
    return 0;
}

static int set_hash(unsigned char hash[HASH_SIZE], char *has_hash, PyObject *value)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a node's hash is set to None, not deleted");
        return -1;
    }
    if (value == Py_None) {
        *has_hash = 0;
        return 0;
    }
    if (!PyBytes_Check(value) || PyBytes_GET_SIZE(value) != HASH_SIZE) {
        PyErr_SetString(PyExc_ValueError, "a node's hash is 32 bytes or None");
        return -1;
    }
    memcpy(hash, PyBytes_AS_STRING(value), HASH_SIZE);
    *has_hash = 1;
    return 0;
}

static PyObject *get_hash(const unsigned char hash[HASH_SIZE], char has_hash)
{
    if (!has_hash)
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)hash, HASH_SIZE);
}

/* ------------------------------------------------------------------ Leaf */

static LeafObject *new_leaf(PyObject *key, uint64_t value)
{
    LeafObject *leaf = PyObject_New(LeafObject, &LeafType);
    if (leaf == NULL)
        return NULL;
    Py_INCREF(key);
    leaf->key = key;
    leaf->value = value;
    leaf->has_hash = 0;
    return leaf;
}

static PyObject *Leaf_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"key", "value", NULL};
    PyObject *key, *value;
    uint64_t number;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:Leaf", names, &key, &value))
        return NULL;
    if (as_key(key) < 0 || as_value(value, &number) < 0)
        return NULL;
    return (PyObject *)new_leaf(key, number);
}

static void Leaf_dealloc(LeafObject *self)
{
    Py_XDECREF(self->key);
    PyObject_Free(self);
}

static PyObject *Leaf_get_key(LeafObject *self, void *closure)
{
    return Py_NewRef(self->key);
}

static PyObject *Leaf_get_value(LeafObject *self, void *closure)
{
    return PyLong_FromUnsignedLongLong(self->value);
}

static int Leaf_set_value(LeafObject *self, PyObject *value, void *closure)
{
    uint64_t number;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a leaf's value cannot be deleted");
        return -1;
    }
    if (as_value(value, &number) < 0)
        return -1;
    self->value = number;
    return 0;
}

static PyObject *Leaf_get_hash(LeafObject *self, void *closure)
{
    return get_hash(self->hash, self->has_hash);
}

static int Leaf_set_hash(LeafObject *self, PyObject *value, void *closure)
{
    return set_hash(self->hash, &self->has_hash, value);
}

static PyGetSetDef Leaf_getset[] = {
    {"key", (getter)Leaf_get_key, NULL, "The 32-byte map key.", NULL},
    {"value", (getter)Leaf_get_value, (setter)Leaf_set_value, "The key's latest index.", NULL},
    {"hash", (getter)Leaf_get_hash, (setter)Leaf_set_hash, "The leaf hash, or None.", NULL},
    {NULL},
};

static PyTypeObject LeafType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ledger._mapcore.Leaf",
    .tp_basicsize = sizeof(LeafObject),
    .tp_dealloc = (destructor)Leaf_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A key of the subject map and its value (see ledger.subjectmap).",
    .tp_getset = Leaf_getset,
    .tp_new = Leaf_new,
};

/* ------------------------------------------------------------------ Branch */

static BranchObject *new_branch(PyObject *left, PyObject *right)
{
    BranchObject *branch = PyObject_New(BranchObject, &BranchType);
    if (branch == NULL)
        return NULL;
    branch->left = Py_NewRef(left);
    branch->right = Py_NewRef(right);
    branch->version = 0;
    branch->stored = 0;
    branch->has_hash = 0;
    return branch;
}

static PyObject *Branch_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"left", "right", NULL};
    PyObject *left, *right;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:Branch", names, &left, &right))
        return NULL;
    if (as_child(left) < 0 || as_child(right) < 0)
        return NULL;
    return (PyObject *)new_branch(left, right);
}

static void Branch_dealloc(BranchObject *self)
{
    Py_XDECREF(self->left);
    Py_XDECREF(self->right);
    PyObject_Free(self);
}

static PyObject *Branch_get_left(BranchObject *self, void *closure)
{
    return Py_NewRef(self->left);
}

static PyObject *Branch_get_right(BranchObject *self, void *closure)
{
    return Py_NewRef(self->right);
}

static int set_child(PyObject **slot, PyObject *value)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a branch's child is set to None, not deleted");
        return -1;
    }
    if (as_child(value) < 0)
        return -1;
    Py_SETREF(*slot, Py_NewRef(value));
    return 0;
}

static int Branch_set_left(BranchObject *self, PyObject *value, void *closure)
{
    return set_child(&self->left, value);
}

static int Branch_set_right(BranchObject *self, PyObject *value, void *closure)
{
    return set_child(&self->right, value);
}

static PyObject *Branch_get_hash(BranchObject *self, void *closure)
{
    return get_hash(self->hash, self->has_hash);
}

static int Branch_set_hash(BranchObject *self, PyObject *value, void *closure)
{
    return set_hash(self->hash, &self->has_hash, value);
}

static void reference_of(BranchObject *branch, unsigned char out[REF_SIZE])
{
    out[0] = TAG_REF;
    memcpy(out + 1, branch->hash, HASH_SIZE);
    put_be64(out + 1 + HASH_SIZE, branch->version);
}

/* The Python nodes' `blob`, as far as a C branch keeps it: a tile's top branch unchanged since
 * its row was stored reads as its reference (0x01, hash, version); anything else as None. */
static PyObject *Branch_get_blob(BranchObject *self, void *closure)
{
    if (!(self->stored && self->has_hash))
        Py_RETURN_NONE;
    unsigned char reference[REF_SIZE];
    reference_of(self, reference);
    return PyBytes_FromStringAndSize((const char *)reference, REF_SIZE);
}

/* Set by ledger.mapstore on a tile's top branch read back from its row: its reference. */
static int Branch_set_blob(BranchObject *self, PyObject *value, void *closure)
{
    if (value == NULL || value == Py_None) {
        self->stored = 0;
        return 0;
    }
    if (!PyBytes_Check(value) || PyBytes_GET_SIZE(value) != REF_SIZE ||
        PyBytes_AS_STRING(value)[0] != TAG_REF) {
        PyErr_SetString(PyExc_ValueError,
                        "a C branch keeps only its tile's reference: 0x01, hash, uint64 version");
        return -1;
    }
    const unsigned char *reference = (const unsigned char *)PyBytes_AS_STRING(value);
    if (self->has_hash && memcmp(self->hash, reference + 1, HASH_SIZE) != 0) {
        PyErr_SetString(PyExc_ValueError, "the reference names another hash than the branch's");
        return -1;
    }
    memcpy(self->hash, reference + 1, HASH_SIZE);
    self->has_hash = 1;
    uint64_t version = 0;
    for (int i = 0; i < 8; i++)
        version = (version << 8) | reference[1 + HASH_SIZE + i];
    self->version = version;
    self->stored = 1;
    return 0;
}

static PyGetSetDef Branch_getset[] = {
    {"left", (getter)Branch_get_left, (setter)Branch_set_left, "Bit 0's side.", NULL},
    {"right", (getter)Branch_get_right, (setter)Branch_set_right, "Bit 1's side.", NULL},
    {"hash", (getter)Branch_get_hash, (setter)Branch_set_hash, "The hash, or None.", NULL},
    {"blob", (getter)Branch_get_blob, (setter)Branch_set_blob,
     "A tile top unchanged since its row was stored: its reference (0x01, hash, version); "
     "else None.", NULL},
    {NULL},
};

static PyTypeObject BranchType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ledger._mapcore.Branch",
    .tp_basicsize = sizeof(BranchObject),
    .tp_dealloc = (destructor)Branch_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An inner node of the subject map (see ledger.subjectmap).",
    .tp_getset = Branch_getset,
    .tp_new = Branch_new,
};

/* ------------------------------------------------------------------ hashing */

static int as_node(PyObject *node)
{
    if (node != Py_None && !IS_LEAF(node) && !IS_BRANCH(node)) {
        PyErr_Format(PyExc_TypeError, "a map node is a Leaf, a Branch or None, not %s",
                     Py_TYPE(node)->tp_name);
        return -1;
    }
    return 0;
}

/* The node's hash, computing and caching only what changed since it was last asked. */
static const unsigned char *hash_of(PyObject *node)
{
    if (node == Py_None)
        return EMPTY_HASH;
    if (IS_LEAF(node)) {
        LeafObject *leaf = (LeafObject *)node;
        if (!leaf->has_hash) {
            unsigned char body[LEAF_BODY];
            leaf_body(leaf, body);
            sha256(body, LEAF_BODY, leaf->hash);
            leaf->has_hash = 1;
        }
        return leaf->hash;
    }
    BranchObject *branch = (BranchObject *)node;
    if (!branch->has_hash) {
        branch_digest(hash_of(branch->left), hash_of(branch->right), branch->hash);
        branch->has_hash = 1;
    }
    return branch->hash;
}

static PyObject *mapcore_node_hash(PyObject *module, PyObject *node)
{
    if (as_node(node) < 0)
        return NULL;
    return PyBytes_FromStringAndSize((const char *)hash_of(node), HASH_SIZE);
}

/* ------------------------------------------------------------------ put */

/* The smallest subtree at `depth` holding the leaves `old` and `new` (keys differ). */
static PyObject *split(LeafObject *old, LeafObject *new, int depth)
{
    const unsigned char *a = leaf_key(old), *b = leaf_key(new);
    int start = depth;
    /* The old leaf moves deeper: same hash, but stored at its new path by the next commit. */
    old->has_hash = 0;
    while (depth < KEY_BITS && key_bit(a, depth) == key_bit(b, depth))
        depth++;
    if (depth >= KEY_BITS) {
        PyErr_SetString(PyExc_RuntimeError, "two leaves of the map have one key");
        return NULL;
    }
    PyObject *node = key_bit(a, depth) ? (PyObject *)new_branch((PyObject *)new, (PyObject *)old)
                                       : (PyObject *)new_branch((PyObject *)old, (PyObject *)new);
    while (node != NULL && depth > start) {
        depth--;
        PyObject *above = key_bit(a, depth) ? (PyObject *)new_branch(Py_None, node)
                                            : (PyObject *)new_branch(node, Py_None);
        Py_DECREF(node);
        node = above;
    }
    return node;
}

/* Set `bits` (a key) -> value under `root`; `key` is its bytes object, or NULL to make one only
 * if a new leaf needs it. Returns (root, previous). */
static PyObject *put_key(PyObject *root, const unsigned char *bits, PyObject *key, uint64_t value)
{
    BranchObject *parent = NULL;
    int right = 0, depth = 0;
    PyObject *node = root;
    while (IS_BRANCH(node)) {
        BranchObject *branch = (BranchObject *)node;
        branch->has_hash = 0;
        branch->stored = 0;
        parent = branch;
        right = key_bit(bits, depth);
        node = right ? branch->right : branch->left;
        depth++;
    }
    if (node != Py_None && memcmp(leaf_key((LeafObject *)node), bits, KEY_SIZE) == 0) {
        LeafObject *leaf = (LeafObject *)node;
        PyObject *previous = PyLong_FromUnsignedLongLong(leaf->value);
        if (previous == NULL)
            return NULL;
        leaf->value = value;
        leaf->has_hash = 0;
        return Py_BuildValue("(ON)", root, previous);
    }
    PyObject *owned = NULL;
    if (key == NULL) {
        key = owned = PyBytes_FromStringAndSize((const char *)bits, KEY_SIZE);
        if (key == NULL)
            return NULL;
    }
    LeafObject *added = new_leaf(key, value);
    Py_XDECREF(owned);
    if (added == NULL)
        return NULL;
    PyObject *replacement = (PyObject *)added;
    if (node != Py_None) {
        replacement = split((LeafObject *)node, added, depth);
        Py_DECREF(added);
        if (replacement == NULL)
            return NULL;
    }
    if (parent == NULL)
        return Py_BuildValue("(NO)", replacement, Py_None);
    if (right)
        Py_SETREF(parent->right, replacement);
    else
        Py_SETREF(parent->left, replacement);
    return Py_BuildValue("(OO)", root, Py_None);
}

static PyObject *mapcore_put(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "put(root, key, value)");
        return NULL;
    }
    uint64_t value;
    if (as_node(args[0]) < 0 || as_key(args[1]) < 0 || as_value(args[2], &value) < 0)
        return NULL;
    return put_key(args[0], (const unsigned char *)PyBytes_AS_STRING(args[1]), args[1], value);
}

/* put() of subject_key(subject): the pseudonym hashed here, its key's bytes object made only
 * for a subject new to the map (most of an append's subjects are already in it). */
static PyObject *mapcore_put_subject(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "put_subject(root, subject, value)");
        return NULL;
    }
    uint64_t value;
    if (as_node(args[0]) < 0 || as_value(args[2], &value) < 0)
        return NULL;
    if (!PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "a subject is a str");
        return NULL;
    }
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(args[1], &size);
    if (text == NULL)
        return NULL;
    unsigned char key[KEY_SIZE];
    sha256((const unsigned char *)text, (size_t)size, key);
    return put_key(args[0], key, NULL, value);
}

/* ------------------------------------------------------------------ commit */

typedef struct {
    unsigned char *data;
    Py_ssize_t length;
    Py_ssize_t capacity;
} Buffer;

static int buffer_add(Buffer *buffer, const void *data, Py_ssize_t size)
{
    if (buffer->length + size > buffer->capacity) {
        Py_ssize_t capacity = buffer->capacity ? buffer->capacity : 1024;
        while (capacity < buffer->length + size)
            capacity *= 2;
        unsigned char *grown = PyMem_Realloc(buffer->data, capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, data, size);
    buffer->length += size;
    return 0;
}

static int buffer_byte(Buffer *buffer, unsigned char byte)
{
    return buffer_add(buffer, &byte, 1);
}

/* Where a node sits: uint16be(depth) then the `depth` key bits above it, packed, zero-padded
 * (ledger.subjectmap.node_path). `path` holds those bits; bits from `depth` on are ignored. */
static PyObject *node_path(int depth, const unsigned char *path)
{
    unsigned char out[2 + KEY_SIZE];
    int width = (depth + 7) >> 3;
    out[0] = (unsigned char)(depth >> 8);
    out[1] = (unsigned char)(depth & 0xff);
    if (width)
        memcpy(out + 2, path, width);
    if (depth & 7)
        out[1 + width] &= (unsigned char)(0xff << (8 - (depth & 7)));
    return PyBytes_FromStringAndSize((const char *)out, 2 + width);
}

static inline void set_path_bit(unsigned char *path, int depth, int bit)
{
    unsigned char mask = (unsigned char)(0x80 >> (depth & 7));
    if (bit)
        path[depth >> 3] |= mask;
    else
        path[depth >> 3] &= (unsigned char)~mask;
}

typedef struct {
    unsigned char path[KEY_SIZE + 1]; /* the bits above the node being encoded */
    uint64_t version;
    PyObject *rows;                   /* list of (path, row) */
} Commit;

static int encode(Commit *commit, PyObject *node, int depth, int limit, Buffer *parts,
                  const unsigned char **digest);

static int add_row(Commit *commit, int depth, Buffer *tile)
{
    PyObject *path = node_path(depth, commit->path);
    if (path == NULL)
        return -1;
    PyObject *row = PyBytes_FromStringAndSize((const char *)tile->data, tile->length);
    if (row == NULL) {
        Py_DECREF(path);
        return -1;
    }
    PyObject *pair = PyTuple_Pack(2, path, row);
    Py_DECREF(path);
    Py_DECREF(row);
    if (pair == NULL)
        return -1;
    int failed = PyList_Append(commit->rows, pair);
    Py_DECREF(pair);
    return failed;
}

/* Store the tile rooted at `node` (at `depth`, a multiple of the tile height), the changed
 * tiles below it first; its hash is left in the node. */
static int commit_tile(Commit *commit, PyObject *node, int depth)
{
    Buffer tile = {NULL, 0, 0};
    int failed = -1;
    if (IS_LEAF(node)) { /* only the root: elsewhere a leaf sits in its parent's tile */
        LeafObject *leaf = (LeafObject *)node;
        unsigned char body[1 + LEAF_BODY];
        body[0] = TAG_TILE;
        leaf_body(leaf, body + 1);
        sha256(body + 1, LEAF_BODY, leaf->hash);
        leaf->has_hash = 1;
        if (buffer_add(&tile, body, sizeof body) == 0)
            failed = add_row(commit, depth, &tile);
        PyMem_Free(tile.data);
        return failed;
    }
    BranchObject *branch = (BranchObject *)node;
    const unsigned char *left, *right;
    unsigned char left_hash[HASH_SIZE];
    int limit = depth + TILE_HEIGHT;
    if (buffer_byte(&tile, TAG_TILE) < 0 || buffer_byte(&tile, TAG_BRANCH) < 0)
        goto done;
    set_path_bit(commit->path, depth, 0);
    if (encode(commit, branch->left, depth + 1, limit, &tile, &left) < 0)
        goto done;
    memcpy(left_hash, left, HASH_SIZE);
    set_path_bit(commit->path, depth, 1);
    if (encode(commit, branch->right, depth + 1, limit, &tile, &right) < 0)
        goto done;
    if (!branch->has_hash) {
        branch_digest(left_hash, right, branch->hash);
        branch->has_hash = 1;
    }
    branch->version = commit->version;
    branch->stored = 1;
    failed = add_row(commit, depth, &tile);
done:
    PyMem_Free(tile.data);
    return failed;
}

/* Append `node`'s subtree down to depth `limit` to `parts` in preorder: leaves inline, a branch
 * at `limit` as a reference to its own tile (stored first if it changed). Only what changed is
 * hashed (a put clears the hashes on its path); what did not is walked and copied. */
static int encode(Commit *commit, PyObject *node, int depth, int limit, Buffer *parts,
                  const unsigned char **digest)
{
    if (node == Py_None) {
        *digest = EMPTY_HASH;
        return buffer_byte(parts, TAG_EMPTY);
    }
    if (IS_LEAF(node)) {
        LeafObject *leaf = (LeafObject *)node;
        unsigned char body[LEAF_BODY];
        leaf_body(leaf, body);
        if (!leaf->has_hash) {
            sha256(body, LEAF_BODY, leaf->hash);
            leaf->has_hash = 1;
        }
        *digest = leaf->hash;
        return buffer_add(parts, body, LEAF_BODY);
    }
    BranchObject *branch = (BranchObject *)node;
    if (depth == limit) {
        if (!(branch->stored && branch->has_hash) && commit_tile(commit, node, depth) < 0)
            return -1;
        unsigned char reference[REF_SIZE];
        reference_of(branch, reference);
        *digest = branch->hash;
        return buffer_add(parts, reference, REF_SIZE);
    }
    const unsigned char *left, *right;
    unsigned char left_hash[HASH_SIZE];
    if (buffer_byte(parts, TAG_BRANCH) < 0)
        return -1;
    set_path_bit(commit->path, depth, 0);
    if (encode(commit, branch->left, depth + 1, limit, parts, &left) < 0)
        return -1;
    memcpy(left_hash, left, HASH_SIZE);
    set_path_bit(commit->path, depth, 1);
    if (encode(commit, branch->right, depth + 1, limit, parts, &right) < 0)
        return -1;
    if (!branch->has_hash) {
        branch_digest(left_hash, right, branch->hash);
        branch->has_hash = 1;
    }
    *digest = branch->hash;
    return 0;
}

static PyObject *mapcore_commit(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "commit(root, version)");
        return NULL;
    }
    PyObject *root = args[0];
    uint64_t version;
    if (as_node(root) < 0)
        return NULL;
    if (!PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_ValueError, "a map version is a uint64");
        return NULL;
    }
    version = PyLong_AsUnsignedLongLong(args[1]);
    if (version == (uint64_t)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "a map version is a uint64");
        return NULL;
    }
    Commit commit;
    memset(commit.path, 0, sizeof commit.path);
    commit.version = version;
    commit.rows = PyList_New(0);
    if (commit.rows == NULL)
        return NULL;
    if (root == Py_None)
        return Py_BuildValue("(y#N)", (const char *)EMPTY_HASH, (Py_ssize_t)HASH_SIZE,
                             commit.rows);
    if (IS_LEAF(root))
        ((LeafObject *)root)->has_hash = 0;
    else
        ((BranchObject *)root)->has_hash = 0;
    if (commit_tile(&commit, root, 0) < 0) {
        Py_DECREF(commit.rows);
        return NULL;
    }
    return Py_BuildValue("(y#N)", (const char *)hash_of(root), (Py_ssize_t)HASH_SIZE,
                         commit.rows);
}

/* ------------------------------------------------------------------ module */

static PyMethodDef mapcore_methods[] = {
    {"put", (PyCFunction)(void (*)(void))mapcore_put, METH_FASTCALL,
     "put(root, key, value) -> (root, previous): set key -> value in place."},
    {"put_subject", (PyCFunction)(void (*)(void))mapcore_put_subject, METH_FASTCALL,
     "put_subject(root, subject, value) -> (root, previous): put() of SHA-256(subject)."},
    {"commit", (PyCFunction)(void (*)(void))mapcore_commit, METH_FASTCALL,
     "commit(root, version) -> (root hash, [(path, row)]): the tiles changed since the last."},
    {"node_hash", (PyCFunction)mapcore_node_hash, METH_O,
     "node_hash(node) -> bytes: the node's hash, cached along the way."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef mapcore_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ledger._mapcore",
    .m_doc = "The subject map's per-batch work in C (see ledger.subjectmap).",
    .m_size = -1,
    .m_methods = mapcore_methods,
};

PyMODINIT_FUNC PyInit__mapcore(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
    sha256_md = EVP_sha256();
#endif
    sha256_ctx = EVP_MD_CTX_new();
    if (sha256_md == NULL || sha256_ctx == NULL) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL has no SHA-256 for ledger._mapcore");
        return NULL;
    }
    if (PyType_Ready(&LeafType) < 0 || PyType_Ready(&BranchType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&mapcore_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddObjectRef(module, "Leaf", (PyObject *)&LeafType) < 0 ||
        PyModule_AddObjectRef(module, "Branch", (PyObject *)&BranchType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
