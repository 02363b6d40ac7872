using System.Runtime.InteropServices;
using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

/// <summary>
/// <see cref="BFloat16"/> against an oracle written from the definition rather than the bit trick: the two bfloat16
/// values around x (its upper half, and the next one away from zero), the nearer one in exact double arithmetic, the
/// even one on a tie.
/// </summary>
public sealed class BFloat16Tests
{
    private static float Oracle(float x)
    {
        if (float.IsNaN(x) || float.IsInfinity(x))
        {
            return x;
        }

        var bits = BitConverter.SingleToUInt32Bits(x);
        var toward = bits & 0xFFFF_0000u;
        var away = toward + 0x1_0000u;
        double below = BitConverter.UInt32BitsToSingle(toward), above = BitConverter.UInt32BitsToSingle(away);
        if ((away & 0x7F80_0000u) == 0x7F80_0000u)
        {
            // Past the largest bfloat16: IEEE rounds to infinity from half an ulp beyond it.
            above = Math.CopySign(Math.Pow(2, 128), x);
        }

        var (distanceBelow, distanceAbove) = (Math.Abs(x - below), Math.Abs(above - x));
        var pick = distanceBelow < distanceAbove || (distanceBelow == distanceAbove && (toward & 0x1_0000u) == 0) ? toward : away;
        return BitConverter.UInt32BitsToSingle(pick);
    }

    private static IEnumerable<float> Samples()
    {
        var random = new Random(5);
        for (var i = 0; i < 20_000; i++)
        {
            yield return BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
        }

        foreach (var bits in new uint[] { 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F80_7FFF, 0x7F7F_FFFF, 0x7F7F_7FFF, 0x7F7F_8000, 0x0000_8000, 0x0001_8000, 0x8000_0000 })
        {
            yield return BitConverter.UInt32BitsToSingle(bits);
            yield return -BitConverter.UInt32BitsToSingle(bits);
        }
    }

    [Fact]
    public void Round_should_give_the_nearest_bfloat16_with_ties_to_even_for_every_kind_of_float()
    {
        foreach (var x in Samples().Where(float.IsFinite))
        {
            var expected = Oracle(x);
            Assert.True(
                BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(BFloat16.Round(x)),
                $"x = {x:R} (0x{BitConverter.SingleToUInt32Bits(x):X8}): 0x{BitConverter.SingleToUInt32Bits(BFloat16.Round(x)):X8}, expected 0x{BitConverter.SingleToUInt32Bits(expected):X8}");
        }
    }

    [Fact]
    public void Round_should_decide_hand_computed_ties_and_overflow_as_IEEE_does()
    {
        Assert.Equal(1f, BFloat16.Round(1f + MathF.Pow(2, -8)));
        Assert.Equal(1f + MathF.Pow(2, -6), BFloat16.Round(1f + 3 * MathF.Pow(2, -8)));
        Assert.Equal(1f + MathF.Pow(2, -7), BFloat16.Round(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20)));
        Assert.Equal(float.PositiveInfinity, BFloat16.Round(float.MaxValue));
        Assert.Equal(float.NegativeInfinity, BFloat16.Round(float.NegativeInfinity));
        Assert.True(float.IsNegative(BFloat16.Round(-0f)) && BFloat16.Round(-0f) == 0f);
    }

    [Fact]
    public void Round_should_keep_every_NaN_a_NaN_even_when_its_payload_is_only_in_the_dropped_half()
    {
        foreach (var bits in new uint[] { 0x7F80_0001, 0xFF80_0001, 0x7FC0_0000, 0x7F80_FFFF })
        {
            var nan = BitConverter.UInt32BitsToSingle(bits);
            Assert.True(float.IsNaN(BFloat16.Round(nan)), $"0x{bits:X8}");
            Assert.True(float.IsNaN(BFloat16.FromBits(BFloat16.ToBits(nan))), $"0x{bits:X8} through 16 bits");
        }
    }

    [Fact]
    public void Narrow_and_widen_should_carry_the_rounded_values_exactly_in_two_bytes_each()
    {
        foreach (var length in new[] { 0, 1, 15, 16, 17, 33, 1000 })
        {
            var x = Samples().Take(length).ToArray();
            var bits = new ushort[length];
            BFloat16.Narrow(x, bits);
            var back = new float[length];
            BFloat16.Widen(bits, back);
            for (var i = 0; i < length; i++)
            {
                var expected = BFloat16.Round(x[i]);
                Assert.True(
                    float.IsNaN(expected) ? float.IsNaN(back[i]) : BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(back[i]),
                    $"element {i} of {length}");
                Assert.Equal(BFloat16.ToBits(x[i]), bits[i]);
            }
        }
    }

    [Fact]
    public void Widen_should_work_in_place_from_the_upper_half_of_the_destinations_bytes()
    {
        foreach (var length in new[] { 1, 16, 17, 40, 1001 })
        {
            var x = TestVectors.Uniform(length, length, scale: 100);
            var expected = x.Select(BFloat16.Round).ToArray();
            var buffer = new float[length];
            var upper = MemoryMarshal.Cast<byte, ushort>(MemoryMarshal.AsBytes(buffer.AsSpan())[(length * 2)..]);
            BFloat16.Narrow(x, upper);
            BFloat16.Widen(upper, buffer);
            Assert.Equal(expected, buffer);
        }
    }
}
