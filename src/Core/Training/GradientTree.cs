using SegaLearn.Compute;

namespace SegaLearn.Training;

/// <summary>
/// The fixed binary tree in which microbatch gradients are added: a run of n leaves is split at the largest
/// power of two below n, left subtree first. Every aligned block of 2^j leaves is then a subtree, so a worker
/// may pre-add such a block and the total is still bit-for-bit the same. Leaves are pushed in index order and
/// merged as soon as two subtrees of equal size meet (a binary counter), so at most log2(n)+1 buffers are live.
/// </summary>
public sealed class GradientTree
{
    private readonly IComputeBackend _backend;
    private readonly List<float[]> _buffers = [];
    private readonly List<int> _sizes = [];
    private readonly int _length;
    private readonly WireFormat _format;
    private int _depth;
    private int _pushed;

    /// <summary>A tree of gradients of <paramref name="length"/> values whose nodes are rounded as <paramref name="format"/> says.</summary>
    public GradientTree(IComputeBackend backend, int length, WireFormat format = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _backend = backend;
        _length = length;
        _format = format;
    }

    /// <summary>Leaves (or leaf blocks) pushed since the last <see cref="Reset"/>.</summary>
    public int LeafCount => _pushed;

    public void Reset()
    {
        _depth = 0;
        _pushed = 0;
    }

    /// <summary>The buffer the next leaf is to be written into; pass it to <see cref="Push"/> once written.</summary>
    public Span<float> NextLeaf()
    {
        if (_buffers.Count == _depth)
        {
            _buffers.Add(new float[_length]);
            _sizes.Add(0);
        }

        return _buffers[_depth];
    }

    /// <summary>
    /// Pushes the block written into <see cref="NextLeaf"/>: the pre-added sum of <paramref name="leaves"/> leaves,
    /// which must be a power of two and aligned to the leaves pushed so far (1 for a single microbatch).
    /// </summary>
    public void Push(int leaves = 1)
    {
        if (leaves <= 0 || (leaves & (leaves - 1)) != 0 || _pushed % leaves != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(leaves), leaves, $"a block must be an aligned power of two (at leaf {_pushed})");
        }

        if (_depth > 0 && _sizes[_depth - 1] < leaves)
        {
            throw new InvalidOperationException("a block larger than the subtree before it cannot be pushed");
        }

        _sizes[_depth] = leaves;
        _depth++;
        _pushed += leaves;
        while (_depth >= 2 && _sizes[_depth - 1] == _sizes[_depth - 2])
        {
            AddNode(_backend, _format, _buffers[_depth - 2], _buffers[_depth - 1], _buffers[_depth - 2]);
            _sizes[_depth - 2] *= 2;
            _depth--;
        }
    }

    /// <summary>Adds the remaining subtrees right to left, which is the tree's order, into <paramref name="destination"/>.</summary>
    public void Finish(Span<float> destination)
    {
        if (_depth == 0)
        {
            throw new InvalidOperationException("no leaves were pushed");
        }

        for (var i = _depth - 1; i > 1; i--)
        {
            AddNode(_backend, _format, _buffers[i - 1], _buffers[i], _buffers[i - 1]);
        }

        AddRoot(_backend, _format, _buffers[0], _depth > 1 ? _buffers[1] : default, destination[.._length]);
        Reset();
    }

    /// <summary>
    /// Adds pre-summed blocks (each an aligned power-of-two run of leaves, the last possibly shorter, in leaf order)
    /// in the tree's order, the root's add writing into <paramref name="destination"/>. Gives the same bits as pushing
    /// every leaf one by one. Block i is <c>buffers[i]</c>, worked on in place (its contents are destroyed), or, where
    /// that is null, <c>lent[i]</c>, read but never written: e.g. a gradient still in a worker's shared memory. A merge
    /// whose left side is lent writes into the right side's buffer, which gives the same bits since x + y = y + x; a
    /// merge of two lent blocks writes into a buffer from <paramref name="rent"/>, left in <c>buffers</c> at the left
    /// block's index for the caller to give back. Under <see cref="WireFormat.BFloat16"/> every node is rounded as the
    /// tree rounds it (a block pushed whole must then be a node computed that way, as <see cref="BlockGradient"/> writes it).
    /// </summary>
    public static void SumBlocks(
        IComputeBackend backend,
        float[]?[] buffers,
        IReadOnlyList<ReadOnlyMemory<float>> lent,
        IReadOnlyList<int> leaves,
        Span<float> destination,
        Func<float[]> rent,
        WireFormat format = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(buffers);
        ArgumentNullException.ThrowIfNull(lent);
        ArgumentNullException.ThrowIfNull(leaves);
        ArgumentNullException.ThrowIfNull(rent);
        if (buffers.Length == 0 || buffers.Length != leaves.Count || buffers.Length != lent.Count)
        {
            throw new ArgumentException("one leaf count and one buffer or lent block per block, at least one block");
        }

        ReadOnlySpan<float> Read(int block) => buffers[block] ?? lent[block].Span;

        Span<int> stack = stackalloc int[64];
        Span<int> sizes = stackalloc int[64];
        var depth = 0;
        var pushed = 0;
        for (var i = 0; i < buffers.Length; i++)
        {
            var size = leaves[i];
            if (size <= 0 || pushed % BlockAlignment(size) != 0 || (depth > 0 && sizes[depth - 1] < size))
            {
                throw new ArgumentException($"block {i} of {size} leaves at leaf {pushed} is not an aligned subtree", nameof(leaves));
            }

            stack[depth] = i;
            sizes[depth] = size;
            depth++;
            pushed += size;
            while (depth >= 2 && sizes[depth - 1] == sizes[depth - 2])
            {
                if (depth == 2 && i == buffers.Length - 1)
                {
                    // The last merge is the root: written straight into the destination rather than added in place and copied.
                    AddRoot(backend, format, Read(stack[0]), Read(stack[1]), destination);
                    return;
                }

                stack[depth - 2] = Merge(backend, format, stack[depth - 2], stack[depth - 1], buffers, lent, rent);
                sizes[depth - 2] *= 2;
                depth--;
            }
        }

        for (var i = depth - 1; i > 1; i--)
        {
            stack[i - 1] = Merge(backend, format, stack[i - 1], stack[i], buffers, lent, rent);
        }

        AddRoot(backend, format, Read(stack[0]), depth > 1 ? Read(stack[1]) : default, destination);
    }

    /// <summary>Adds block <paramref name="right"/> to block <paramref name="left"/>; returns the block whose buffer now holds the sum.</summary>
    private static int Merge(
        IComputeBackend backend, WireFormat format, int left, int right, float[]?[] buffers, IReadOnlyList<ReadOnlyMemory<float>> lent, Func<float[]> rent)
    {
        if (buffers[left] is { } leftBuffer)
        {
            var rightSide = buffers[right] ?? lent[right].Span;
            AddNode(backend, format, leftBuffer, rightSide, leftBuffer);
            return left;
        }

        if (buffers[right] is { } rightBuffer)
        {
            AddNode(backend, format, lent[left].Span, rightBuffer, rightBuffer);
            return right;
        }

        var length = lent[left].Length;
        var sum = rent();
        buffers[left] = sum;
        AddNode(backend, format, lent[left].Span, lent[right].Span[..length], sum.AsSpan(0, length));
        return left;
    }

    /// <summary>One node of the tree: <c>sum = x + y</c>, rounded to bfloat16 (operands included) under <see cref="WireFormat.BFloat16"/>.</summary>
    private static void AddNode(IComputeBackend backend, WireFormat format, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum)
    {
        if (format == WireFormat.BFloat16)
        {
            backend.AddBFloat16(x, y, sum);
            return;
        }

        backend.Add(x, y, sum);
    }

    /// <summary>
    /// The root of the tree, written straight into <paramref name="destination"/>: left + right, or left alone when
    /// <paramref name="right"/> is empty (a tree of one subtree).
    /// </summary>
    private static void AddRoot(IComputeBackend backend, WireFormat format, ReadOnlySpan<float> left, ReadOnlySpan<float> right, Span<float> destination)
    {
        var length = destination.Length;
        if (right.IsEmpty)
        {
            if (format == WireFormat.BFloat16)
            {
                backend.RoundToBFloat16(left[..length], destination);
                return;
            }

            left[..length].CopyTo(destination);
            return;
        }

        AddNode(backend, format, left[..length], right[..length], destination);
    }

    /// <summary>A block of n leaves must start at a multiple of the smallest power of two holding n.</summary>
    private static int BlockAlignment(int leaves)
    {
        var power = 1;
        while (power < leaves)
        {
            power *= 2;
        }

        return power;
    }

    /// <summary>The same sum by plain recursion over all leaves: the definition the incremental form must match.</summary>
    public static void Sum(IComputeBackend backend, IReadOnlyList<float[]> leaves, Span<float> destination, WireFormat format = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(leaves);
        if (leaves.Count == 0)
        {
            throw new ArgumentException("no leaves", nameof(leaves));
        }

        var result = SumRange(backend, format, leaves, 0, leaves.Count);
        result.AsSpan().CopyTo(destination);
    }

    private static float[] SumRange(IComputeBackend backend, WireFormat format, IReadOnlyList<float[]> leaves, int start, int count)
    {
        if (count == 1)
        {
            var leaf = (float[])leaves[start].Clone();
            if (format == WireFormat.BFloat16)
            {
                backend.RoundToBFloat16(leaf, leaf);
            }

            return leaf;
        }

        var split = 1;
        while (split * 2 < count)
        {
            split *= 2;
        }

        var left = SumRange(backend, format, leaves, start, split);
        var right = SumRange(backend, format, leaves, start + split, count - split);
        AddNode(backend, format, left, right, left);
        return left;
    }
}
