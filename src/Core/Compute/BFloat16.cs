using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>
/// bfloat16: a float32's sign, its 8 exponent bits and the top 7 of its 23 mantissa bits, which is the float's upper
/// half. <see cref="Round(float)"/> rounds a float32 to the nearest such value (ties to even) and gives it back as a
/// float32 whose low 16 bits are 0, so <see cref="ToBits"/> and <see cref="FromBits"/> move it through 2 bytes exactly.
/// Every overload does the same integer operations, so every vector width and the scalar give the same bits. NaN stays
/// a (quiet) NaN and ±∞ stays ±∞; a finite value above the largest bfloat16 (about 3.39e38) rounds to ∞, as IEEE
/// rounding does.
/// </summary>
public static class BFloat16
{
    private const uint QuietBit = 0x0040_0000;

    private const uint UpperHalf = 0xFFFF_0000;

    /// <summary>x rounded to the nearest bfloat16, ties to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Round(float x)
    {
        var bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x))
        {
            return BitConverter.UInt32BitsToSingle((bits | QuietBit) & UpperHalf);
        }

        return BitConverter.UInt32BitsToSingle((bits + 0x7FFFu + ((bits >> 16) & 1u)) & UpperHalf);
    }

    /// <summary>Lane-wise <see cref="Round(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector128.Create(0x7FFFu) + ((bits >> 16) & Vector128<uint>.One)) & Vector128.Create(UpperHalf);
        var nan = (bits | Vector128.Create(QuietBit)) & Vector128.Create(UpperHalf);
        return Vector128.ConditionalSelect(Vector128.Equals(x, x).AsUInt32(), rounded, nan).AsSingle();
    }

    /// <summary>Lane-wise <see cref="Round(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) & Vector256.Create(UpperHalf);
        var nan = (bits | Vector256.Create(QuietBit)) & Vector256.Create(UpperHalf);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x).AsUInt32(), rounded, nan).AsSingle();
    }

    /// <summary>Lane-wise <see cref="Round(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) & Vector512.Create(UpperHalf);
        var nan = (bits | Vector512.Create(QuietBit)) & Vector512.Create(UpperHalf);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x).AsUInt32(), rounded, nan).AsSingle();
    }

    /// <summary>The 16 bits of <see cref="Round(float)"/> of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ToBits(float x) => (ushort)(BitConverter.SingleToUInt32Bits(Round(x)) >> 16);

    /// <summary>The float32 whose upper half is <paramref name="bits"/>: exact, no rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FromBits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary><see cref="ToBits"/> of every element: <paramref name="destination"/> holds at least as many as <paramref name="source"/>.</summary>
    public static void Narrow(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        var length = source.Length;
        if (destination.Length < length)
        {
            throw new ArgumentException($"{length} values cannot be narrowed into {destination.Length}", nameof(destination));
        }

        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 16; i += 16)
            {
                var low = Round(Vector256.LoadUnsafe(ref from, (nuint)i)).AsUInt32() >> 16;
                var high = Round(Vector256.LoadUnsafe(ref from, (nuint)(i + 8))).AsUInt32() >> 16;
                Vector256.Narrow(low, high).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref to, i) = ToBits(Unsafe.Add(ref from, i));
        }
    }

    /// <summary>
    /// <see cref="FromBits"/> of every element, in ascending order, reading each block before writing it: so the bits may
    /// sit in the upper half of <paramref name="destination"/>'s own bytes (a payload read in place) and be widened there.
    /// </summary>
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var length = source.Length;
        if (destination.Length < length)
        {
            throw new ArgumentException($"{length} values cannot be widened into {destination.Length}", nameof(destination));
        }

        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 16; i += 16)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref from, (nuint)i));
                (low << 16).AsSingle().StoreUnsafe(ref to, (nuint)i);
                (high << 16).AsSingle().StoreUnsafe(ref to, (nuint)(i + 8));
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref to, i) = FromBits(Unsafe.Add(ref from, i));
        }
    }

    /// <summary>Whether x is already a bfloat16 value (its low 16 bits are 0).</summary>
    public static bool IsExact(float x) => (BitConverter.SingleToUInt32Bits(x) & 0xFFFFu) == 0;
}
