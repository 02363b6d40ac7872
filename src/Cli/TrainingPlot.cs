using System.Globalization;
using ScottPlot;
using SegaLearn.Serialization;
using SegaLearn.Training;
using SkiaSharp;

namespace SegaLearn.Cli;

/// <summary>
/// <c>--plot FILE.png</c>: loss, accuracy (classification only) and learning-rate curves per epoch, stacked in one PNG
/// written atomically.
/// </summary>
internal static class TrainingPlot
{
    private const int Width = 900;
    private const int PanelHeight = 300;

    public static void Save(string path, IReadOnlyList<EpochMetrics> epochs)
    {
        var x = epochs.Select(e => (double)(e.Epoch + 1)).ToArray();
        var loss = Panel("Loss", "loss");
        Series(loss, x, epochs.Select(e => (double?)e.TrainLoss), "train");
        Series(loss, x, epochs.Select(e => e.ValidationLoss), "validation");
        var accuracy = Panel("Accuracy", "accuracy");
        Series(accuracy, x, epochs.Select(e => e.TrainAccuracy), "train");
        Series(accuracy, x, epochs.Select(e => e.ValidationAccuracy), "validation");
        var rate = LearningRatePanel(x, epochs.Select(e => e.LearningRate).ToArray());
        rate.Axes.Bottom.Label.Text = "epoch";

        Plot[] panels = epochs.Any(e => e.TrainAccuracy is not null || e.ValidationAccuracy is not null) ? [loss, accuracy, rate] : [loss, rate];
        using var surface = SKSurface.Create(new SKImageInfo(Width, PanelHeight * panels.Length));
        for (var i = 0; i < panels.Length; i++)
        {
            using var bitmap = SKBitmap.Decode(panels[i].GetImageBytes(Width, PanelHeight, ImageFormat.Png));
            surface.Canvas.DrawBitmap(bitmap, 0, PanelHeight * i);
        }

        using var image = surface.Snapshot();
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        var bytes = encoded.ToArray();
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>
    /// The learning rate on its own scale: a log axis when it spans a decade or more (a step scheduler's 1e-3, 1e-4,
    /// 1e-5), else a linear one from 0, so that a constant rate is drawn at its value and not at 0 of an axis of -1..1.
    /// </summary>
    private static Plot LearningRatePanel(double[] x, double[] rates)
    {
        var (low, high) = (rates.Min(), rates.Max());
        if (low > 0 && high / low >= 10)
        {
            var logarithmic = Panel("Learning rate", "learning rate (log scale)");
            Series(logarithmic, x, rates.Select(r => (double?)Math.Log10(r)), "learning rate");
            logarithmic.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
            return logarithmic;
        }

        var linear = Panel("Learning rate", "learning rate");
        Series(linear, x, rates.Select(r => (double?)r), "learning rate");
        linear.Axes.SetLimitsY(Math.Min(0, low), high > 0 ? high * 1.15 : 1);
        return linear;
    }

    private static Plot Panel(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.Axes.Left.Label.Text = yLabel;
        return plot;
    }

    private static void Series(Plot plot, double[] x, IEnumerable<double?> values, string label)
    {
        var y = values.ToArray();
        if (y.Any(v => v is null))
        {
            return;
        }

        var scatter = plot.Add.Scatter(x, y.Select(v => v!.Value).ToArray());
        scatter.LegendText = label;
        plot.ShowLegend();
    }
}
