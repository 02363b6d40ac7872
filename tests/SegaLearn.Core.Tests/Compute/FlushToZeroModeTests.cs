using SegaLearn.Compute;

namespace SegaLearn.Core.Tests.Compute;

public sealed class FlushToZeroModeTests
{
    private const string Unsupported = "FTZ/DAZ is set only on x86-64 Linux (elsewhere the kernels flush stored values alone)";

    private static readonly float[] Operands = [1e-20f, 1e-20f, 1e-39f, 1f];

    [SkippableFact]
    public void Enter_should_set_FTZ_and_DAZ_inside_the_scope_and_restore_the_previous_mode_after_it()
    {
        Skip.IfNot(FlushToZeroMode.IsSupported, Unsupported);
        var before = FlushToZeroMode.Read();
        Assert.Equal(0u, before & FlushToZeroMode.Bits);
        using (FlushToZeroMode.Enter())
        {
            Assert.Equal(FlushToZeroMode.Bits, FlushToZeroMode.Read() & FlushToZeroMode.Bits);
            using (FlushToZeroMode.Enter())
            {
                Assert.Equal(FlushToZeroMode.Bits, FlushToZeroMode.Read() & FlushToZeroMode.Bits);
            }

            Assert.Equal(FlushToZeroMode.Bits, FlushToZeroMode.Read() & FlushToZeroMode.Bits);
        }

        Assert.Equal(before, FlushToZeroMode.Read());
    }

    [SkippableFact]
    public void Arithmetic_should_flush_denormal_results_and_read_denormal_operands_as_zero_only_inside_the_scope()
    {
        Skip.IfNot(FlushToZeroMode.IsSupported, Unsupported);
        Assert.Equal(1e-40f, Operands[0] * Operands[1], 1e-45f);
        Assert.Equal(1e-39f, Operands[2] * Operands[3]);
        using (FlushToZeroMode.Enter())
        {
            Assert.Equal(0f, Operands[0] * Operands[1]);
            Assert.Equal(0f, Operands[2] * Operands[3]);
        }
    }
}
