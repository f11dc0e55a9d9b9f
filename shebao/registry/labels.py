"""Chinese labels of the business-data fields and of their coded values, as the window form and
the error messages show them. A field not listed here is shown by its schema name (a test checks
every schema field has a label)."""

from __future__ import annotations

FIELD_LABELS: dict[str, str] = {
    # who
    "person": "参保人员", "persons": "人员名单", "employees": "职工名单", "retirees": "退休人员",
    "dependants": "供养亲属", "id_number": "公民身份号码", "ssn": "社保编号", "passport_number": "护照号码",
    "nationality": "国籍", "permit_type": "就业/居留证件类型", "permit_number": "就业/居留证件号码",
    "name": "姓名（名称）", "sex": "性别", "birth_date": "出生日期", "hukou_type": "户籍性质",
    "work_start_date": "参加工作时间", "phone": "联系电话", "education": "文化程度", "ethnicity": "民族",
    "residence_address": "居住地址", "hukou_address": "户口所在地", "hukou_district": "户籍所在区",
    "hukou_in_wuhan": "武汉市户籍", "hukou_cancelled": "户籍已注销", "post_type": "岗位",
    "identity": "特殊身份", "special_marker": "特殊人员标示", "student": "在校学生", "heir_name": "继承人姓名",
    "heir_bank_account": "继承人银行账号", "spouse_name": "配偶姓名", "spouse_employed": "配偶已就业",
    "keep_ssn": "保留的社保编号", "merge_ssns": "并入的社保编号", "keep_relationship_id": "保留的参保关系编号",
    # employer
    "credit_code": "统一社会信用代码", "org_code": "组织机构代码", "licence_number": "营业执照（批文、证书）号码",
    "business_credit_code": "营业执照统一社会信用代码", "employer_credit_code": "单位统一社会信用代码",
    "unit_type": "单位类型", "economic_type": "经济类型", "legal_rep_name": "法定代表人姓名",
    "legal_rep_id": "法定代表人身份证号", "contact_name": "联系人姓名", "contact_phone": "联系人电话", "fax": "传真号码",
    "email": "电子邮箱", "postcode": "邮政编码", "address": "地址", "business_scope": "经营范围",
    "founded_on": "成立日期", "insurance_types": "参保险种", "industry_class": "工伤保险行业类别",
    "base_rate": "工伤保险基准费率（%）", "provincial": "省直单位", "public_institution": "机关事业单位",
    "online_credit": "单位网上信用用户", "tax_registration": "税务登记号", "tax_changed_on": "税务变更日期",
    "add": "增加险种", "remove": "减少险种", "types": "险种", "total_employees": "职工总数",
    "layoffs_last_year": "上年度裁员人数", "city_unemployment_rate": "城镇登记失业率（%）",
    "sound_finances": "财务制度健全", "economic_capacity": "具有经济负担能力", "collective_bargaining": "已建立集体协商机制",
    "plan_name": "年金方案名称", "filed_with_labour_department": "已向劳动行政部门报告",
    "soe_formal_worker": "国有、集体企业正式职工", "soe_worker": "国有、集体企业职工", "former_soe_worker": "原国有、集体企业职工",
    "civil_servant": "公务员（参公）", "years_in_office": "任职年限",
    # dates and periods
    "hired_on": "用工之日", "stopped_on": "停保日期", "changed_on": "变更之日", "started_on": "开始日期",
    "paused_on": "暂停日期", "terminated_on": "终止日期", "retired_on": "退休日期", "retire_on": "退休时间",
    "died_on": "死亡日期", "separated_on": "离职日期", "employment_ended_on": "劳动关系终止日期",
    "contract_ended_on": "解除劳动合同日期", "injury_date": "事故日期", "admitted_on": "入院日期",
    "discharged_on": "出院日期", "treatment_ended_on": "医疗终结日期", "leave_ended_on": "假期结束日期",
    "mailed_on": "认证表寄回日期", "paid_on": "缴费日期", "month": "月份", "start_month": "开始月份",
    "period_from": "所属期起", "period_to": "所属期止", "extend_to": "延长至", "year": "年度", "years": "年度",
    # money and counts
    "amount": "金额（元）", "monthly_amount": "月金额（元）", "monthly_wage": "月缴费工资（元）", "wages": "缴费工资",
    "monthly_pension": "月养老金（元）", "monthly_allowance": "月津贴（元）", "nursing_monthly": "月护理费（元）",
    "new_amount": "核定后金额（元）", "increase": "月增加额（元）", "backpay_months": "补发月数",
    "refund_amount": "退款金额（元）", "topup_amount": "补缴金额（元）", "death_grant": "一次性工亡补助金（元）",
    "funeral_grant": "丧葬补助金（元）", "funeral_amount": "丧葬费（元）", "dependants_amount": "抚恤金（元）",
    "funds": "转移基金（元）", "count": "张数", "months": "月数", "months_remaining": "剩余月数",
    "deemed_medical_months": "视同医保缴费月数", "job_years": "从事特殊工种年限", "grade": "缴费档次",
    "child_order": "胎次", "layoffs": "裁减人数",
    # documents and numbers
    "bill_number": "核定单号", "receipt_number": "缴费凭证号", "decision_number": "决定书文号",
    "approval_number": "批复文号", "judgment_number": "判决（仲裁）文书号", "appraisal_number": "鉴定结论书编号",
    "agreement_number": "托管协议号", "death_certificate": "死亡证明", "birth_service_certificate": "持有生育服务证",
    "proof": "证明材料", "payables": "应付帐编号", "rows": "明细", "filing": "备案",
    # medical, injury, maternity
    "hospital": "医疗机构", "pharmacy": "定点药店", "disease": "病种", "disability_grade": "伤残等级",
    "disability_level": "伤残等级（1—10级）", "fatal": "工亡", "decision": "认定结论", "ground": "认定依据",
    "fully_incapacitated": "完全丧失劳动能力", "healthy": "身体健康", "consent": "本人同意", "group": "人员类别",
    "kind": "类别", "category": "类别", "situation": "情形", "condition": "条件", "basis": "依据",
    # unemployment, transfers, cards
    "registered_unemployed": "已办理失业登记", "involuntary": "非本人意愿中断就业", "from_district": "转出区",
    "from_region": "转出地", "insured_region": "参保地", "counterpart": "对方经办机构", "destination": "去向",
    "action": "办理方式", "flexible": "灵活就业人员", "bank": "银行", "bank_name": "开户银行", "bank_account": "银行账号",
    "payment_method": "发放方式", "pickup": "领取方式", "new_pin": "新密码（6位数字）", "pin_hash": "密码",
    "reason": "原因", "channel": "办理渠道", "job": "特殊工种", "title": "专家类别", "retirement_category": "离退休类别",
    "start": "开始", "marital_status": "婚姻状况", "health_status": "健康状况",
    # change requests
    "changes": "变更内容",
}

# Keys of the rows of list-of-mapping fields (their schema does not name them).
ROW_KEYS: dict[str, list[tuple[str, str]]] = {
    "dependants": [("name", "姓名"), ("relation", "与工亡职工关系"), ("monthly", "月抚恤金（元）")],
    "wages": [("year", "年度"), ("monthly_wage", "月缴费工资（元）")],
}

INSURANCE = {"pension": "养老保险", "medical": "医疗保险", "unemployment": "失业保险", "injury": "工伤保险",
             "maternity": "生育保险"}

CHOICE_LABELS: dict[str, str] = {
    **INSURANCE,
    "M": "男", "F": "女", "cadre": "干部（管理或技术岗位）", "worker": "工人",
    "window": "窗口", "counter": "窗口", "street": "街道", "community": "社区", "app": "武汉人社手机APP", "mail": "邮寄",
    "assisted": "协助认证", "bank": "银行", "hall": "网上办事大厅",
    "transfer": "转移", "withdraw": "提取",
    "labour_contract_law_41": "《劳动合同法》第四十一条", "restructuring": "企业改制（武政办〔2003〕66号）",
    "child": "少年儿童", "flexible": "灵活就业人员", "hardship": "困难人员", "newborn": "新生儿", "ordinary": "一般居民",
    "student": "大学生",
    "since_1996": "1996年以来", "soe_history": "原国有、集体企业工作经历",
    "deemed": "视同工伤", "injury": "认定工伤", "not_injury": "不予认定",
    "chronic": "慢性病患者", "disabled": "残疾人", "elderly": "65周岁以上老年人", "inpatient": "住院病人", "pregnant": "孕产妇",
    "heavy_labour": "特别繁重体力劳动", "high_altitude": "高空作业", "high_temperature": "高温作业", "toxic": "有毒有害",
    "underground": "井下作业",
    "abortion": "流（引）产", "delivery": "生育分娩", "family_planning": "计划生育手术", "paternity": "护理假",
    "resident_elsewhere": "异地居住",
    "agent": "代领", "person": "本人领取", "unit": "单位领取",
    "complication": "并发症", "damaged": "损坏", "death": "死亡", "emergency": "急诊", "emigrated": "出国（境）定居",
    "emigration": "出国（境）定居", "employee_medical": "参加职工医保", "error": "错误", "expired": "有效期满",
    "late_stop": "停保滞后", "lost": "遗失", "maternity_reason": "生育", "military": "参军", "other": "其他",
    "out_of_city": "转往市外", "referral": "转诊转院", "short_contribution": "缴费不满15年",
    "institution": "机构", "non_pool": "未参加统筹", "topup": "补缴",
    "associate_senior_or_above": "副高级以上专业技术职称", "senior_political_worker": "高级政工师",
    "senior_technician": "高级技师",
    "true": "是", "false": "否",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def choice_label(value: object) -> str:
    return CHOICE_LABELS.get(str(value), str(value))


def path_label(path: str) -> str:
    """“persons.1.hired_on” → “人员名单第2项 · 用工之日”."""
    parts = [p for p in path.removeprefix("data.").split(".") if p]
    shown: list[str] = []
    for part in parts:
        if part.isdigit() and shown:
            shown[-1] = f"{shown[-1]}第{int(part) + 1}项"
        else:
            shown.append(field_label(part))
    return " · ".join(shown) or "业务数据"
