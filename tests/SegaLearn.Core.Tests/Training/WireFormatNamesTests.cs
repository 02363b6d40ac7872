using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

public sealed class WireFormatNamesTests
{
    [Theory]
    [InlineData("float32", WireFormat.Float32)]
    [InlineData(" FP32 ", WireFormat.Float32)]
    [InlineData("bfloat16", WireFormat.BFloat16)]
    [InlineData("BF16", WireFormat.BFloat16)]
    public void TryParse_should_read_each_name_and_its_short_form_in_any_case(string text, WireFormat expected)
    {
        Assert.True(WireFormatNames.TryParse(text, out var wire));
        Assert.Equal(expected, wire);
    }

    [Theory]
    [InlineData("")]
    [InlineData("float16")]
    [InlineData("int8")]
    public void TryParse_should_refuse_other_text(string text) => Assert.False(WireFormatNames.TryParse(text, out _));

    [Fact]
    public void Name_should_read_back_as_the_same_format_for_every_format()
    {
        foreach (var wire in Enum.GetValues<WireFormat>())
        {
            Assert.True(WireFormatNames.TryParse(WireFormatNames.Name(wire), out var back));
            Assert.Equal(wire, back);
        }

        Assert.Equal(["float32", "bfloat16"], Enum.GetValues<WireFormat>().Select(WireFormatNames.Name));
    }
}
