using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SegaLearn.Compute;

/// <summary>
/// The processor's flush-to-zero (FTZ) and denormals-are-zero (DAZ) modes on x86-64 Linux, for the accelerated kernels:
/// inside <see cref="Enter"/> a denormal operand is read as zero and a denormal result is written as zero, so no
/// operation takes the microcode assist of about a hundred cycles that x86 spends on each denormal.
/// </summary>
/// <remarks>
/// <para>
/// Storing only normal values (<see cref="Denormals"/>) is not enough: with L2 and Adam, the weights of inputs that
/// are always zero never settle at zero (Adam's step lr·m/(√v+ε) overshoots a weight of 1e-36 by a factor of about
/// lr·2λ/ε = 2000) and keep passing through tiny normal values, whose products in the optimizer's pass (2λ·w, g², the
/// decay term) are denormal. On W-SEED that cost more than half of each epoch after the first.
/// </para>
/// <para>
/// .NET exposes no control of MXCSR, so two five-instruction leaf functions (stmxcsr, ldmxcsr) are written once into
/// an executable page. The mode is set on the calling thread for the scope of a kernel and restored after it, so no
/// code outside the kernels runs with it, and set for good on the kernels' own helper threads. Every width, thread
/// count and process then computes with it, and the bits stay the same for any placement. Where it is not available
/// (another processor or system, or a system that refuses executable pages) the kernels still store no denormal,
/// at the assists' cost; <see cref="SimdBackend.Describe"/> says which.
/// </para>
/// </remarks>
internal static unsafe partial class FlushToZeroMode
{
    /// <summary>MXCSR bit 15 (FTZ) and bit 6 (DAZ).</summary>
    public const uint Bits = (1u << 15) | (1u << 6);

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20, PageSize = 4096, ExchangeOffset = 32;

    // System V leaf functions on the red zone below rsp. SetBits: stmxcsr [rsp-8]; mov eax, [rsp-8]; or [rsp-8], edi;
    // ldmxcsr [rsp-8]; ret. Exchange: the same with mov [rsp-8], edi in place of the or. Both return the previous MXCSR.
    private static readonly byte[] SetBitsCode = [0x0F, 0xAE, 0x5C, 0x24, 0xF8, 0x8B, 0x44, 0x24, 0xF8, 0x09, 0x7C, 0x24, 0xF8, 0x0F, 0xAE, 0x54, 0x24, 0xF8, 0xC3];
    private static readonly byte[] ExchangeCode = [0x0F, 0xAE, 0x5C, 0x24, 0xF8, 0x8B, 0x44, 0x24, 0xF8, 0x89, 0x7C, 0x24, 0xF8, 0x0F, 0xAE, 0x54, 0x24, 0xF8, 0xC3];

    private static readonly byte* Code = CreateCode();

    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static uint t_saved;

    /// <summary>Whether the modes can be set here (x86-64 Linux with an executable page).</summary>
    public static bool IsSupported => Code is not null;

    /// <summary>Sets FTZ and DAZ on this thread until the scope ends (nested scopes only count); a no-op where unsupported.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scope Enter()
    {
        if (Code is null)
        {
            return default;
        }

        if (t_depth++ == 0)
        {
            t_saved = SetBits(Bits);
        }

        return new Scope(entered: true);
    }

    /// <summary>
    /// Sets FTZ and DAZ on this thread for good: for threads that run nothing but kernels. Scopes entered there later
    /// only count, as inside an outer scope that never ends.
    /// </summary>
    public static void EnableForThread()
    {
        if (Code is not null)
        {
            SetBits(Bits);
            t_depth++;
        }
    }

    /// <summary>
    /// A scope around several kernels of <paramref name="backend"/> (a step's forward and backward pass, an optimizer
    /// step), so that its kernels nest inside it instead of each setting and restoring the mode; none for the
    /// reference backend, which computes without it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scope EnterFor(IComputeBackend backend) => backend is SimdBackend ? Enter() : default;

    /// <summary>This thread's MXCSR, or 0 where unsupported (tests).</summary>
    public static uint Read()
    {
        return Code is null ? 0 : SetBits(0);
    }

    private static uint SetBits(uint bits) => ((delegate* unmanaged[SuppressGCTransition]<uint, uint>)Code)(bits);

    private static void Restore(uint value) => ((delegate* unmanaged[SuppressGCTransition]<uint, uint>)(Code + ExchangeOffset))(value);

    private static byte* CreateCode()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        var page = Mmap(null, PageSize, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == (void*)-1)
        {
            return null;
        }

        var code = (byte*)page;
        SetBitsCode.CopyTo(new Span<byte>(code, SetBitsCode.Length));
        ExchangeCode.CopyTo(new Span<byte>(code + ExchangeOffset, ExchangeCode.Length));
        if (Mprotect(page, PageSize, ProtRead | ProtExec) != 0)
        {
            Munmap(page, PageSize);
            return null;
        }

        return code;
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);

    /// <summary>Restores the thread's previous mode when the outermost scope ends.</summary>
    public readonly ref struct Scope(bool entered)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose()
        {
            if (entered && --t_depth == 0)
            {
                Restore(t_saved);
            }
        }
    }
}
