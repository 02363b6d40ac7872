using SegaLearn.Metrics;

namespace SegaLearn.Core.Tests.Metrics;

public sealed class ClassificationReportTests
{
    [Fact]
    public void Compute_should_match_a_hand_computed_three_class_case()
    {
        int[] truth = [0, 0, 1, 1, 1, 2, 2, 0];
        int[] predicted = [0, 1, 1, 1, 0, 2, 1, 0];
        var report = ClassificationReport.Compute(truth, predicted, 3);

        Assert.Equal(5.0 / 8, report.Accuracy, 12);
        Assert.Equal(2, report.Confusion[0, 0]);
        Assert.Equal(1, report.Confusion[0, 1]);
        Assert.Equal(1, report.Confusion[1, 0]);
        Assert.Equal(1, report.Confusion[2, 1]);
        Assert.Equal(2.0 / 3, report.Precision[0], 12);
        Assert.Equal(2.0 / 4, report.Precision[1], 12);
        Assert.Equal(1.0, report.Precision[2], 12);
        Assert.Equal(2.0 / 3, report.Recall[1], 12);
        Assert.Equal(0.5, report.Recall[2], 12);
        Assert.Equal(2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3), report.F1[1], 12);
        Assert.Equal((2.0 / 3 + 0.5 + 1.0) / 3, report.MacroPrecision, 12);
    }

    [Fact]
    public void Compute_should_report_zero_for_a_class_never_predicted()
    {
        var report = ClassificationReport.Compute([0, 1, 1], [0, 0, 0], 2);
        Assert.Equal(0, report.Precision[1]);
        Assert.Equal(0, report.Recall[1]);
        Assert.Equal(0, report.F1[1]);
    }
}
