namespace SegaLearn.Core.Tests;

public sealed class PythonFloatTests
{
    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(0.05, "0.05")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1.0000000000000002e-06, "1.0000000000000002e-06")]
    [InlineData(0.06065306597126335, "0.06065306597126335")]
    [InlineData(9.118819655545162e-05, "9.118819655545162e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00012345, "0.00012345")]
    [InlineData(2.0, "2.0")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(100.0, "100.0")]
    [InlineData(123.456, "123.456")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e16, "1.5e+16")]
    [InlineData(1e100, "1e+100")]
    [InlineData(-1.5e-100, "-1.5e-100")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(1.0 / 3, "0.3333333333333333")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.Epsilon, "5e-324")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "nan")]
    public void ReprMatchesPython(double value, string expected) => Assert.Equal(expected, PythonFloat.Repr(value));
}
