using SegaLearn.Compute;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

public sealed class GradientTreeTests
{
    private static readonly ReferenceBackend Backend = new();

    private static float[][] Leaves(int count, int length)
    {
        var random = new DeterministicRandom(5, (ulong)count);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => (float)(random.NextGaussian() * 1e3)).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(WireFormat.Float32)]
    [InlineData(WireFormat.BFloat16)]
    public void Push_should_give_the_recursive_tree_sum_bit_for_bit_for_every_leaf_count(WireFormat format)
    {
        for (var n = 1; n <= 40; n++)
        {
            var leaves = Leaves(n, 17);
            var expected = new float[17];
            GradientTree.Sum(Backend, leaves, expected, format);
            var tree = new GradientTree(Backend, 17, format);
            foreach (var leaf in leaves)
            {
                leaf.CopyTo(tree.NextLeaf());
                tree.Push();
            }

            var actual = new float[17];
            tree.Finish(actual);
            Assert.Equal(expected, actual);
        }
    }

    public static TheoryData<string, WireFormat> Backends() =>
        new()
        {
            { "reference", WireFormat.Float32 },
            { "simd-2-threads", WireFormat.Float32 },
            { "reference", WireFormat.BFloat16 },
            { "simd-2-threads", WireFormat.BFloat16 },
        };

    [Theory]
    [MemberData(nameof(Backends))]
    public void SumBlocks_should_give_the_tree_sum_and_leave_lent_blocks_unwritten_whichever_are_lent(string backendName, WireFormat format)
    {
        // Large vectors so the threaded backend splits its adds; the reference backend has no threads to split over.
        var simd = new SimdBackend(threads: 2);
        IComputeBackend backend = backendName == "reference" ? Backend : simd;
        var length = backendName == "reference" ? 257 : 300_001;
        int[][] cuts = [[1], [1, 1], [2, 2], [2, 1], [1, 1, 1, 1], [4, 2, 1], [2, 2, 2, 1]];
        foreach (var cut in cuts)
        {
            var leafCount = cut.Sum();
            var leaves = Leaves(leafCount, length);
            var expected = new float[length];
            GradientTree.Sum(backend, leaves, expected, format);
            for (var lentMask = 0; lentMask < 1 << cut.Length; lentMask++)
            {
                var buffers = new float[]?[cut.Length];
                var lent = new ReadOnlyMemory<float>[cut.Length];
                var untouched = new float[]?[cut.Length];
                var first = 0;
                for (var b = 0; b < cut.Length; b++)
                {
                    var block = new float[length];
                    GradientTree.Sum(backend, leaves[first..(first + cut[b])], block, format);
                    first += cut[b];
                    if ((lentMask & (1 << b)) != 0)
                    {
                        lent[b] = block;
                        untouched[b] = (float[])block.Clone();
                    }
                    else
                    {
                        buffers[b] = block;
                    }
                }

                var rented = new List<float[]>();
                var actual = new float[length];

                GradientTree.SumBlocks(backend, buffers, lent, cut, actual, () =>
                {
                    rented.Add(new float[length]);
                    return rented[^1];
                }, format);

                var what = $"cut [{string.Join(',', cut)}], lent mask {lentMask}";
                Assert.True(expected.AsSpan().SequenceEqual(actual), what);
                for (var b = 0; b < cut.Length; b++)
                {
                    Assert.True(untouched[b] is null || untouched[b].AsSpan().SequenceEqual(lent[b].Span), $"{what}: lent block {b} was written");
                }

                Assert.All(rented, buffer => Assert.Contains(buffer, buffers));
            }
        }
    }

    [Fact]
    public void Sum_should_split_at_the_largest_power_of_two_below_the_count()
    {
        float[][] leaves = [[1e8f], [1f], [-1e8f], [1f], [0.5f], [3f]];
        var actual = new float[1];
        GradientTree.Sum(Backend, leaves, actual);
        var expected = (((1e8f + 1f) + (-1e8f + 1f)) + (0.5f + 3f));
        Assert.Equal(expected, actual[0]);
    }

    [Fact]
    public void BFloat16_tree_should_round_every_leaf_and_every_node_when_hand_computed()
    {
        // Three leaves: the root is r(r(r(a) + r(b)) + r(c)), r rounding to bfloat16; a float32 tree would keep a + b exact.
        float[][] leaves = [[1f + MathF.Pow(2, -10)], [MathF.Pow(2, -8)], [3f + MathF.Pow(2, -12)]];
        var actual = new float[1];
        GradientTree.Sum(Backend, leaves, actual, WireFormat.BFloat16);
        var left = BFloat16.Round(BFloat16.Round(leaves[0][0]) + BFloat16.Round(leaves[1][0]));
        Assert.Equal(1f, left);
        Assert.Equal(BFloat16.Round(left + 3f), actual[0]);
        Assert.Equal(4f, actual[0]);

        var one = new float[1];
        GradientTree.Sum(Backend, [[1f + MathF.Pow(2, -10)]], one, WireFormat.BFloat16);
        Assert.Equal(1f, one[0]);
    }

    [Fact]
    public void Push_should_accept_aligned_pre_added_blocks_and_give_the_same_bits()
    {
        var leaves = Leaves(11, 9);
        var expected = new float[9];
        GradientTree.Sum(Backend, leaves, expected);
        var tree = new GradientTree(Backend, 9);
        foreach (var (start, size) in new[] { (0, 4), (4, 2), (6, 2), (8, 2), (10, 1) })
        {
            GradientTree.Sum(Backend, leaves[start..(start + size)], tree.NextLeaf());
            tree.Push(size);
        }

        var actual = new float[9];
        tree.Finish(actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Push_should_refuse_a_block_that_is_not_aligned()
    {
        var tree = new GradientTree(Backend, 1);
        tree.NextLeaf();
        tree.Push();
        tree.NextLeaf();
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Push(2));
    }

    [Fact]
    public void Microbatch_cut_should_depend_only_on_batch_and_microbatch_size()
    {
        Assert.Equal(4, Microbatch.CountFor(100, 32));
        Assert.Equal(new Microbatch(3, 96, 4), Microbatch.Get(3, 100, 32));
        Assert.Equal(new Microbatch(0, 0, 7), Microbatch.Get(0, 7, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => Microbatch.Get(4, 100, 32));
    }
}
