"""The article's mechanisms, one module each, called by `RiskModel.step` in ODD order.

- communication (沟通机制): sensing, reporting (迟报, 瞒报) and the warning routes
- responsibility (责任: 发生地为主、波及地为辅, 责任清单, 目标协同): source control and duties
- accountability (责任追究, 监督): breaches found out and sanctioned
- evaluation (评估机制): what the assessor measures and rewards
- compensation (利益机制, 新安江模式): who pays, the regional fund, the Xin'an rule
- trust (信任机制): promises kept or broken
- learning (学习机制): whether cooperation pays, across incidents
- escalation (中央介入): the body hands what exceeds its capacity to the centre
- reserve (资源协同): the pooled teams
- preparedness (侥幸心理): complacency slows a city long untouched

Each function takes the model first and reads or writes its arrays; none imports the model
or the agents at run time, so data flows one way (model -> mechanisms).
"""
